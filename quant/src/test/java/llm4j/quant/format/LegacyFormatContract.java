package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import net.jqwik.api.ForAll;
import net.jqwik.api.Example;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties every legacy format must have; each format's test class extends this and supplies
 * random packed data and its own round-trip error bound.
 */
abstract class LegacyFormatContract {

    private static final double UNIT_ROUNDOFF = 0x1p-24;

    abstract QuantFormat format();

    /** Fills {@code n} elements' worth of valid packed data (finite scales) at {@code offset}. */
    abstract void fillRandom(Random rnd, MemorySegment seg, long offset, int n);

    /** Checks the values decoded from {@code seg} after {@code src} was quantized into it. */
    abstract void assertRoundTrip(float[] src, float[] back, MemorySegment seg);

    /** Row length for a property run: whole blocks, or any length for per-element types. */
    int elements(int blocks, Random rnd) {
        return blocks * format().type().blockSize();
    }

    /**
     * The scale of the rounding error both kernels may make: Σ|w·x| unless a kernel sums
     * differently (offset formats override it).
     */
    double magnitude(MemorySegment seg, long offset, float[] w, float[] x, int xOffset) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            sum += Math.abs((double) w[i] * x[xOffset + i]);
        }
        return sum;
    }

    @Property(tries = 100)
    @Tag("vector-kernel")
    void vectorDecodeIsTheScalarDecodeBitForBit(@ForAll @IntRange(min = 1, max = 20) int blocks,
                                                @ForAll @IntRange(min = 0, max = 67) int offset,
                                                @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = elements(blocks, rnd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(offset + format().type().bytesFor(n));
            fillRandom(rnd, seg, offset, n);
            assertDecodersAgree(seg, offset, n, 3, "");
        }
    }

    /** Decodes {@code n} values at {@code offset} with the scalar and the vector decoder: the same raw bits for every one. */
    void assertDecodersAgree(MemorySegment seg, long offset, int n, int dstOffset, String where) {
        float[] scalar = new float[dstOffset + n];
        float[] vector = new float[dstOffset + n];
        format().dequantize(seg, offset, scalar, dstOffset, n);
        format().vectorDequantize(seg, offset, vector, dstOffset, n);
        for (int i = dstOffset; i < dstOffset + n; i++) {
            if (Float.floatToRawIntBits(scalar[i]) != Float.floatToRawIntBits(vector[i])) {
                assertEquals(Integer.toHexString(Float.floatToRawIntBits(scalar[i])),
                        Integer.toHexString(Float.floatToRawIntBits(vector[i])), where + "element " + (i - dstOffset) + " of " + n);
            }
        }
    }

    /**
     * The property above mostly runs the Vector API's plain-Java fallback; this keeps decoding until C2 has compiled
     * the decoder with intrinsics, and compares the raw bits of every value against the scalar decoder's.
     */
    @Example
    @Tag("vector-kernel")
    void compiledVectorDecodeIsTheScalarDecodeBitForBit() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            // the row must end where the segment ends: a decoder reading past its last block fails
            MemorySegment seg = arena.allocate(format().type().bytesFor(10L * Math.max(32, format().type().blockSize())) + 7);
            for (int call = 0; call < 20_000; call++) {
                int n = elements(1 + rnd.nextInt(10), rnd);
                long bytes = format().type().bytesFor(n);
                long offset = seg.byteSize() - bytes - rnd.nextInt(8);
                fillRandom(rnd, seg, offset, n);
                MemorySegment row = seg.asSlice(0, offset + bytes);
                assertDecodersAgree(row, offset, n, rnd.nextInt(5), "call " + call + ", ");
            }
        }
    }

    @Property(tries = 150)
    @Tag("vector-kernel")
    void vectorKernelMatchesScalar(@ForAll @IntRange(min = 1, max = 40) int blocks,
                                   @ForAll @IntRange(min = 0, max = 67) int offset,
                                   @ForAll @IntRange(min = 0, max = 17) int xOffset,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = elements(blocks, rnd);
        long bytes = format().type().bytesFor(n);
        try (Arena arena = Arena.ofConfined()) {
            // sized exactly: a kernel reading past the row's last block fails the test
            MemorySegment seg = arena.allocate(offset + bytes);
            fillRandom(rnd, seg, offset, n);
            float[] x = new float[xOffset + n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float scalar = format().scalarKernel().dot(seg, offset, x, xOffset, n);
            float vector = ArrangedDot.vectorDot(format(), seg, offset, x, xOffset, n);

            float[] w = new float[n];
            format().dequantize(seg, offset, w, 0, n);
            double exact = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) w[i] * x[xOffset + i];
            }
            double tolerance = (2.0 * n + 16) * UNIT_ROUNDOFF * magnitude(seg, offset, w, x, xOffset) + 1e-30;
            assertEquals(exact, scalar, tolerance, "scalar kernel vs dequantized dot, n=" + n);
            assertEquals(scalar, vector, tolerance, "vector vs scalar, n=" + n + " offset=" + offset + " xOffset=" + xOffset);
        }
    }

    /**
     * The Vector API runs as plain Java until C2 compiles it with intrinsics, so the properties
     * above mostly check the interpreted path; this loop keeps calling the kernel until it is
     * compiled (C2 needs about 10^4 calls) and compares every result.
     */
    @Example
    @Tag("vector-kernel")
    void compiledVectorKernelMatchesScalar() {
        Random rnd = new Random(42);
        int blockElements = Math.max(32, format().type().blockSize());
        // up to 10 blocks: Q4_0's kernel takes 4 at a time at 512 bits, and rows of 5 to 7 end with a shifted group
        int maxN = 10 * blockElements + (format().type().blockSize() == 1 ? 7 : 0);
        int bytes = (int) format().type().bytesFor(maxN - maxN % format().type().blockSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(bytes + 64L);
            fillRandom(rnd, seg, 0, (bytes + 64) / format().type().blockBytes() * format().type().blockSize());
            float[] x = new float[maxN + 32];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] w = new float[maxN];
            for (int call = 0; call < 30_000; call++) {
                int n = elements(1 + rnd.nextInt(10), rnd);
                int offset = rnd.nextInt(64 / format().type().blockBytes() + 1) * format().type().blockBytes();
                int xOffset = rnd.nextInt(32);
                float scalar = format().scalarKernel().dot(seg, offset, x, xOffset, n);
                float vector = ArrangedDot.vectorDot(format(), seg, offset, x, xOffset, n);
                if (Math.abs(scalar - vector) > 1e-5 * (Math.abs(scalar) + 1)) {
                    float[] row = java.util.Arrays.copyOf(w, n);
                    format().dequantize(seg, offset, row, 0, n);
                    double tolerance = (2.0 * n + 16) * UNIT_ROUNDOFF * magnitude(seg, offset, row, x, xOffset) + 1e-30;
                    assertEquals(scalar, vector, tolerance, "call " + call + ", n=" + n);
                }
            }
        }
    }

    @Property(tries = 100)
    void roundTripStaysWithinOneStep(@ForAll @IntRange(min = 1, max = 12) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = elements(blocks, rnd);
        float[] src = new float[n];
        int blockSize = Math.max(32, format().type().blockSize());
        for (int start = 0; start < n; start += blockSize) {
            // each block gets its own magnitude and shape, sometimes with an outlier
            float scale = (float) Math.pow(10, rnd.nextInt(7) - 4);
            boolean uniform = rnd.nextBoolean();
            for (int i = start; i < Math.min(n, start + blockSize); i++) {
                double v = uniform ? rnd.nextDouble() * 2 - 1 : rnd.nextGaussian();
                src[i] = (float) (v * scale);
            }
            if (rnd.nextInt(4) == 0) {
                src[start + rnd.nextInt(Math.min(blockSize, n - start))] = scale * (rnd.nextBoolean() ? 40 : -40);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(format().type().bytesFor(n));
            format().quantize(src, 0, n, seg, 0);
            float[] back = new float[n];
            format().dequantize(seg, 0, back, 0, n);
            assertRoundTrip(src, back, seg);
        }
    }

    @Property(tries = 30)
    void offsetsAreHonoured(@ForAll @IntRange(min = 1, max = 4) int blocks,
                            @ForAll @IntRange(min = 1, max = 9) int srcOffset,
                            @ForAll @IntRange(min = 1, max = 9) int byteOffset,
                            @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * Math.max(32, format().type().blockSize());
        float[] src = new float[srcOffset + n];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) rnd.nextGaussian();
        }
        float[] plain = java.util.Arrays.copyOfRange(src, srcOffset, srcOffset + n);
        long bytes = format().type().bytesFor(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment atZero = arena.allocate(bytes);
            MemorySegment shifted = arena.allocate(byteOffset + bytes);
            format().quantize(plain, 0, n, atZero, 0);
            format().quantize(src, srcOffset, n, shifted, byteOffset);
            assertEquals(-1, atZero.mismatch(shifted.asSlice(byteOffset)), "quantize with offsets wrote other bytes");
            float[] back = new float[srcOffset + n];
            format().dequantize(shifted, byteOffset, back, srcOffset, n);
            float[] backPlain = new float[n];
            format().dequantize(atZero, 0, backPlain, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(backPlain[i]), Float.floatToRawIntBits(back[srcOffset + i]));
            }
            for (int i = 0; i < srcOffset; i++) {
                assertEquals(0f, back[i], "dequantize wrote before dstOffset");
            }
        }
    }

    /** Any float bits, NaN and Inf included, quantize and decode without an exception (ggml never fails either). */
    @Property(tries = 50)
    void anyInputQuantizes(@ForAll @IntRange(min = 1, max = 3) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * Math.max(32, format().type().blockSize());
        float[] src = new float[n];
        for (int i = 0; i < n; i++) {
            src[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(format().type().bytesFor(n));
            format().quantize(src, 0, n, seg, 0);
            format().dequantize(seg, 0, new float[n], 0, n);
        }
    }

    @Property(tries = 1)
    void registeredUnderItsType() {
        GgmlType type = format().type();
        assertSame(format(), QuantFormats.of(type));
        assertTrue(type.supported());
    }
}
