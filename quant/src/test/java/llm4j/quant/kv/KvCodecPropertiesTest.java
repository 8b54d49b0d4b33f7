package llm4j.quant.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Every codec against its own scalar decoder, and the round-trip error each format's definition allows. */
class KvCodecPropertiesTest {

    /** Chunk lengths a cache uses: heads of 32..128, and row-wide chunks of small-head models. */
    private static final int[] BLOCK_CHUNKS = {32, 64, 96, 128};
    private static final int[] FLOAT_CHUNKS = {8, 16, 24, 64};

    /** Activation-like data: Gaussian at a random magnitude, a few outlier channels, sometimes all zero. */
    static float[] activations(Random rnd, int n) {
        float[] x = new float[n];
        if (rnd.nextInt(20) == 0) {
            return x;
        }
        double scale = Math.pow(2, rnd.nextInt(13) - 6);
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale * (rnd.nextInt(10) == 0 ? 20 : 1));
        }
        return x;
    }

    private static int chunkLength(KvCodec codec, Random rnd) {
        int[] options = codec.blockSize() == 1 ? FLOAT_CHUNKS : BLOCK_CHUNKS;
        return options[rnd.nextInt(options.length)];
    }

    /** A chunk encoded at a random offset inside a larger array, as in a cache page. */
    private record Encoded(float[] src, byte[] bytes, int off, int n) {
    }

    private static Encoded encode(KvCodec codec, Random rnd, int n) {
        float[] src = activations(rnd, n);
        int off = rnd.nextInt(40);
        byte[] bytes = new byte[off + codec.chunkBytes(n) + rnd.nextInt(40)];
        rnd.nextBytes(bytes);
        codec.encode(src, 0, n, bytes, off);
        return new Encoded(src, bytes, off, n);
    }

    /** Several rows of one page and a group of queries, as attention calls the kernels. */
    private record Page(byte[] bytes, int off, int stride, int rows, int n) {
    }

    private static Page page(KvCodec codec, Random rnd, int n) {
        int rows = 1 + rnd.nextInt(5);
        int stride = codec.chunkBytes(n) + rnd.nextInt(3) * codec.chunkBytes(n);
        int off = rnd.nextInt(40);
        byte[] bytes = new byte[off + rows * stride + 40];
        rnd.nextBytes(bytes);
        for (int r = 0; r < rows; r++) {
            codec.encode(activations(rnd, n), 0, n, bytes, off + r * stride);
        }
        return new Page(bytes, off, stride, rows, n);
    }

    @Property(tries = 400)
    void vectorDotRowsEqualScalarTwin(@ForAll long seed, @ForAll @IntRange(min = 0, max = 7) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        Page pg = page(codec, rnd, chunkLength(codec, rnd));
        for (int[] range : ranges(codec, pg.n, rnd)) {
            int start = range[0];
            int len = range[1];
            int queries = 1 + rnd.nextInt(6);
            int qStride = len + rnd.nextInt(3);
            float[] q = activations(rnd, 3 + queries * qStride);
            float scale = (float) rnd.nextDouble();
            int outStride = pg.rows + 2;
            float[] vector = new float[queries * outStride];
            float[] scalar = new float[queries * outStride];
            codec.dotRows(q, 3, queries, qStride, pg.bytes, pg.off, pg.stride, pg.rows, start, len, scale, vector, 0, outStride);
            codec.dotRowsScalar(q, 3, queries, qStride, pg.bytes, pg.off, pg.stride, pg.rows, start, len, scale, scalar, 0, outStride);
            for (int j = 0; j < queries; j++) {
                for (int r = 0; r < pg.rows; r++) {
                    double magnitude = 0;
                    for (int i = 0; i < len; i++) {
                        magnitude += Math.abs(q[3 + j * qStride + i] * codec.element(pg.bytes, pg.off + r * pg.stride, start + i));
                    }
                    int at = j * outStride + r;
                    assertTrue(Math.abs(vector[at] - scalar[at]) <= 1e-5 * scale * magnitude + 1e-30,
                            codec + " n=" + pg.n + " [" + start + "+" + len + "] query " + j + " row " + r + ": vector "
                                    + vector[at] + " scalar " + scalar[at]);
                }
            }
        }
    }

    @Property(tries = 400)
    void vectorAxpyRowsEqualScalarTwin(@ForAll long seed, @ForAll @IntRange(min = 0, max = 7) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        Page pg = page(codec, rnd, chunkLength(codec, rnd));
        for (int[] range : ranges(codec, pg.n, rnd)) {
            int start = range[0];
            int len = range[1];
            int queries = 1 + rnd.nextInt(6);
            int wStride = pg.rows + 1;
            float[] w = new float[queries * wStride];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextDouble();
            }
            int outStride = len + 2;
            float[] vector = activations(rnd, 5 + queries * outStride);
            float[] scalar = vector.clone();
            float[] before = vector.clone();
            codec.axpyRows(w, 0, queries, wStride, pg.bytes, pg.off, pg.stride, pg.rows, start, len, vector, 5, outStride);
            codec.axpyRowsScalar(w, 0, queries, wStride, pg.bytes, pg.off, pg.stride, pg.rows, start, len, scalar, 5, outStride);
            for (int j = 0; j < queries; j++) {
                for (int i = 0; i < len; i++) {
                    double magnitude = Math.abs(before[5 + j * outStride + i]);
                    for (int r = 0; r < pg.rows; r++) {
                        magnitude += Math.abs(w[j * wStride + r] * codec.element(pg.bytes, pg.off + r * pg.stride, start + i));
                    }
                    int at = 5 + j * outStride + i;
                    assertTrue(Math.abs(vector[at] - scalar[at]) <= 1e-6 * magnitude + 1e-30,
                            codec + " query " + j + " element " + i + ": vector " + vector[at] + " scalar " + scalar[at]);
                }
            }
            for (int i = 0; i < 5; i++) {
                assertEquals(before[i], vector[i], 0f, "nothing written before outOff");
            }
        }
    }

    /** The vector loops keep their sums in registers across rows; each element must still be the row-order FMA chain. */
    @Property(tries = 300)
    void vectorAxpyRowsSumInRowOrder(@ForAll long seed, @ForAll @IntRange(min = 0, max = 7) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        Page pg = page(codec, rnd, chunkLength(codec, rnd));
        int[] range = ranges(codec, pg.n, rnd)[0];
        int start = range[0];
        int len = range[1];
        int queries = 1 + rnd.nextInt(9);
        int wStride = pg.rows + 1;
        float[] w = activations(rnd, queries * wStride);
        int outStride = len + 1;
        float[] out = activations(rnd, queries * outStride);
        float[] expected = out.clone();
        for (int j = 0; j < queries; j++) {
            for (int i = 0; i < len; i++) {
                float acc = expected[j * outStride + i];
                for (int r = 0; r < pg.rows; r++) {
                    float x = codec.element(pg.bytes, pg.off + r * pg.stride, start + i);
                    acc = Math.fma(x, codec.roundWeight(w[j * wStride + r]), acc);
                }
                expected[j * outStride + i] = acc;
            }
        }
        codec.axpyRows(w, 0, queries, wStride, pg.bytes, pg.off, pg.stride, pg.rows, start, len, out, 0, outStride);
        for (int i = 0; i < out.length; i++) {
            assertEquals(expected[i], out[i], 0f, codec + " n=" + pg.n + " [" + start + "+" + len + "] queries " + queries + " at " + i);
        }
    }

    /** The whole chunk, its first or last block (or 8-wide slice for float types), and an unaligned head-sized slice. */
    private static int[][] ranges(KvCodec codec, int n, Random rnd) {
        int block = Math.max(codec.blockSize(), 8);
        int blocks = n / block;
        int first = rnd.nextInt(blocks) * block;
        int slice = 8 * rnd.nextInt(n / 8);
        return new int[][] {{0, n}, {first, block}, {slice, 8}, {0, Math.max(1, n - 1)}, {1, Math.min(n - 1, 7)}};
    }

    @Property(tries = 300)
    void decodeEqualsElement(@ForAll long seed, @ForAll @IntRange(min = 0, max = 7) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        Encoded e = encode(codec, rnd, chunkLength(codec, rnd));
        float[] out = new float[e.n];
        codec.decode(e.bytes, e.off, 0, e.n, out, 0);
        for (int i = 0; i < e.n; i++) {
            assertEquals(codec.element(e.bytes, e.off, i), out[i], 0f);
        }
    }

    @Property(tries = 400)
    void roundTripStaysWithinTheFormatsStep(@ForAll long seed, @ForAll @IntRange(min = 0, max = 7) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        Encoded e = encode(codec, rnd, chunkLength(codec, rnd));
        int block = Math.max(1, codec.blockSize());
        for (int b = 0; b < e.n; b += block) {
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            float amax = 0f;
            for (int j = b; j < b + block; j++) {
                min = Math.min(min, e.src[j]);
                max = Math.max(max, e.src[j]);
                amax = Math.max(amax, Math.abs(e.src[j]));
            }
            for (int j = b; j < b + block; j++) {
                float x = e.src[j];
                float back = codec.element(e.bytes, e.off, j);
                double bound = bound(codec, x, amax, min, max) + 1e-30;
                assertTrue(Math.abs(x - back) <= bound, codec + " element " + j + ": " + x + " -> " + back + " (bound " + bound + ")");
            }
        }
    }

    /** The largest error each format's definition allows for {@code x} in a block with these extremes. */
    private static double bound(KvCodec codec, float x, float amax, float min, float max) {
        double fp16 = 0x1p-11;
        return switch (codec.name()) {
            case "f32" -> 0;
            case "f16" -> Math.abs(x) * fp16 + 0x1p-25;
            case "bf16" -> Math.abs(x) * 0x1p-8;
            // d = amax/127 rounded to fp16; half a step plus 127 times d's rounding
            case "q8_0" -> amax / 127.0 * (0.5 + 127 * fp16) + 0x1p-24;
            // ggml's d = amax/8 errs at most a step per value (the value opposite the extreme may clamp from
            // code 16 to 15); the searched scale may clip one value harder, but its block's squared error is
            // at most ggml's (searchedScalesErrNoMoreThanGgmlsRule), so one value errs at most sqrt(32) steps
            case "q4_0" -> Math.sqrt(32) * amax / 8.0 * (1 + 8 * fp16) + 0x1p-24;
            case "q5_0" -> Math.sqrt(32) * amax / 16.0 * (1 + 16 * fp16) + 0x1p-24;
            // d = (max-min)/15, m = min, both rounded to fp16
            case "q4_1" -> (max - min) / 15.0 * (0.5 + 15 * fp16) + Math.abs(min) * fp16 + 0x1p-24;
            // scale within 2^(1/32) of the block maximum (plus S's fp16 rounding); half the widest
            // codebook gap (1 - 0.7230)/2 and the clamp of a maximum just above the scale
            case "nf4" -> amax * (0.1385 * 1.03 + 0.03) + 0x1p-24;
            default -> throw new IllegalArgumentException(codec.name());
        };
    }

    /** The ggml types decode exactly as the weight formats do (those are checked against ggml's own to_float). */
    @Property(tries = 200)
    void ggmlTypesDecodeLikeTheWeightFormats(@ForAll long seed, @ForAll @IntRange(min = 0, max = 6) int codecIndex) {
        Random rnd = new Random(seed);
        KvCodec codec = KvCodecs.ALL.get(codecIndex);
        llm4j.quant.GgmlType type = llm4j.quant.GgmlType.byName(codec.name());
        Encoded e = encode(codec, rnd, BLOCK_CHUNKS[rnd.nextInt(BLOCK_CHUNKS.length)]);
        float[] ggml = new float[e.n];
        llm4j.quant.QuantFormats.of(type).dequantize(java.lang.foreign.MemorySegment.ofArray(e.bytes), e.off, ggml, 0, e.n);
        for (int i = 0; i < e.n; i++) {
            assertEquals(Float.floatToIntBits(ggml[i]), Float.floatToIntBits(codec.element(e.bytes, e.off, i)),
                    codec + " element " + i + ": " + ggml[i] + " vs " + codec.element(e.bytes, e.off, i));
        }
    }

    /** The scale search never does worse than ggml's d = max/lo, block by block (ggml's scale is its first trial). */
    @Property(tries = 300)
    void searchedScalesErrNoMoreThanGgmlsRule(@ForAll long seed, @ForAll boolean fiveBit) {
        Random rnd = new Random(seed);
        KvCodec codec = fiveBit ? Q5_0Codec.INSTANCE : Q4_0Codec.INSTANCE;
        int n = BLOCK_CHUNKS[rnd.nextInt(BLOCK_CHUNKS.length)];
        float[] src = activations(rnd, n);
        byte[] searched = new byte[codec.chunkBytes(n)];
        byte[] ggml = new byte[codec.chunkBytes(n)];
        codec.encode(src, 0, n, searched, 0);
        if (fiveBit) {
            Q5_0Codec.encodeReference(src, 0, n, ggml, 0);
        } else {
            Q4_0Codec.encodeReference(src, 0, n, ggml, 0);
        }
        for (int b = 0; b < n / 32; b++) {
            double mine = 0;
            double theirs = 0;
            for (int i = b * 32; i < b * 32 + 32; i++) {
                mine += Math.pow(src[i] - codec.element(searched, 0, i), 2);
                theirs += Math.pow(src[i] - codec.element(ggml, 0, i), 2);
            }
            assertTrue(mine <= theirs * (1 + 1e-6) + 1e-30, codec + " block " + b + ": " + mine + " > ggml's " + theirs);
        }
    }

    @Example
    void bytesPerElementMatchTheGgmlBlockSizes() {
        assertEquals(16.0, F16Codec.INSTANCE.bitsPerElement(64));
        assertEquals(8.5, Q8_0Codec.INSTANCE.bitsPerElement(64));
        assertEquals(5.5, Q5_0Codec.INSTANCE.bitsPerElement(64));
        assertEquals(5.0, Q4_1Codec.INSTANCE.bitsPerElement(64));
        assertEquals(4.5, Q4_0Codec.INSTANCE.bitsPerElement(64));
        // fp16 super-scale + 8-bit block scales: q4_0's size at 64, below it at 128
        assertEquals(4.5, Nf4Codec.INSTANCE.bitsPerElement(64));
        assertEquals(70 * 8 / 128.0, Nf4Codec.INSTANCE.bitsPerElement(128));
    }

    @Example
    void f16InfinityFallsBackToTheScalarPath() {
        byte[] bytes = new byte[128];
        float[] src = new float[64];
        for (int i = 0; i < 64; i++) {
            src[i] = i;
        }
        src[37] = 1e6f; // beyond fp16's range: infinity
        F16Codec.INSTANCE.encode(src, 0, 64, bytes, 0);
        float[] q = new float[64];
        q[37] = 1f;
        assertEquals(Float.POSITIVE_INFINITY, F16Codec.INSTANCE.dot(q, 0, bytes, 0, 0, 64));
        float[] out = new float[64];
        F16Codec.INSTANCE.axpy(0.5f, bytes, 0, 0, 64, out, 0);
        assertEquals(Float.POSITIVE_INFINITY, out[37]);
        assertEquals(18f, out[36]);
    }

    @Example
    void nf4KeepsCodebookValuesExactlyAndSeparatesQuietBlocks() {
        // block 0 spans ±8 (code values times 8 are exact), block 1 is 64 times quieter
        float[] src = new float[64];
        for (int j = 0; j < 32; j++) {
            src[j] = 8 * Nf4Codec.CODEBOOK[j % 16];
            src[32 + j] = src[j] / 64;
        }
        byte[] bytes = new byte[Nf4Codec.INSTANCE.chunkBytes(64)];
        Nf4Codec.INSTANCE.encode(src, 0, 64, bytes, 0);
        for (int j = 0; j < 64; j++) {
            assertEquals(src[j], Nf4Codec.INSTANCE.element(bytes, 0, j), 1e-6f * 8, "element " + j);
        }
        assertEquals(96, bytes[2 + 17] & 0xFF, "2^-6 is 96 sixteenth-octaves below the super-scale");
    }

    @Example
    void hadamardIsOrthonormalAndSelfInverse() {
        Random rnd = new Random(7);
        for (int n : new int[] {8, 64, 128}) {
            float[] x = activations(rnd, n);
            float[] y = activations(rnd, n);
            double dot = 0;
            double xx = 0;
            double yy = 0;
            for (int i = 0; i < n; i++) {
                dot += x[i] * y[i];
                xx += x[i] * x[i];
                yy += y[i] * y[i];
            }
            // float rounding in log2(n) butterfly stages, relative to the vectors' norms
            double tolerance = 1e-5 * Math.sqrt(xx * yy) + 1e-30;
            float[] rx = x.clone();
            float[] ry = y.clone();
            Hadamard.rotate(rx, 0, n, n);
            Hadamard.rotate(ry, 0, n, n);
            double rotated = 0;
            for (int i = 0; i < n; i++) {
                rotated += rx[i] * ry[i];
            }
            assertEquals(dot, rotated, tolerance);
            Hadamard.rotate(rx, 0, n, n);
            for (int i = 0; i < n; i++) {
                assertEquals(x[i], rx[i], 1e-5 * Math.sqrt(xx) + 1e-30);
            }
        }
        float[] unit = new float[64];
        unit[0] = 1f;
        Hadamard.rotate(unit, 0, 64, 64);
        for (float v : unit) {
            assertEquals(0.125f, v, 0f, "a spike spreads evenly over the block");
        }
        assertEquals(32, Hadamard.blockFor(96));
        assertEquals(8, Hadamard.blockFor(8));
    }
}
