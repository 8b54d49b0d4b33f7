package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.B16;
import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.I;
import static llm4j.quant.kv.KvLanes.L;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.format.HalfFloats;

/**
 * 4-bit NormalFloat (QLoRA): codes index a 16-value codebook placed at the quantiles of a normal
 * distribution, scaled per block of 32 by the block's absolute maximum. The block scales are
 * themselves quantized ("double quantization"): one fp16 super-scale S per chunk, and per block an
 * 8-bit code c with scale = S·2^(-c/16), a logarithmic grid (steps of 4.4%) that covers 16 octaves
 * below S, so a quiet block next to a loud one keeps its own resolution.
 *
 * <p>Chunk layout: S (2 bytes), then per block the code c (1 byte) and 16 bytes of nibbles
 * packed as in Q4_0 (low nibble element j, high nibble element j + 16). With a 64-wide head that
 * is 36 bytes per 64 values, the size of Q4_0; with 128 it is 70 bytes, less than Q4_0's 72.
 */
public final class Nf4Codec extends KvCodec {

    public static final Nf4Codec INSTANCE = new Nf4Codec();

    static final int QK = 32;
    static final int BLOCK_BYTES = 17;
    static final int HEADER_BYTES = 2;

    /** The NF4 code values from the QLoRA paper (Dettmers et al. 2023), ascending. */
    static final float[] CODEBOOK = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };
    /** Decision boundaries between neighbouring code values. */
    private static final float[] MIDPOINTS = new float[15];
    /** 2^(-c/16) for every scale code c. */
    static final float[] SCALE_STEPS = new float[256];
    private static final IntVector CODEBOOK_LOW;
    private static final IntVector CODEBOOK_HIGH;

    static {
        for (int k = 0; k < 15; k++) {
            MIDPOINTS[k] = (CODEBOOK[k] + CODEBOOK[k + 1]) / 2;
        }
        for (int c = 0; c < 256; c++) {
            SCALE_STEPS[c] = (float) StrictMath.pow(2.0, -c / 16.0);
        }
        int[] bits = new int[16];
        for (int k = 0; k < 16; k++) {
            bits[k] = Float.floatToRawIntBits(CODEBOOK[k]);
        }
        CODEBOOK_LOW = IntVector.fromArray(I, bits, 0);
        CODEBOOK_HIGH = IntVector.fromArray(I, bits, 8);
    }

    private Nf4Codec() {
        super("nf4");
    }

    @Override
    public int blockSize() {
        return QK;
    }

    @Override
    public int chunkBytes(int n) {
        return HEADER_BYTES + n / QK * BLOCK_BYTES;
    }

    @Override
    public void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        float chunkMax = 0f;
        for (int i = 0; i < n; i++) {
            chunkMax = Math.max(chunkMax, Math.abs(src[srcOff + i]));
        }
        short superBits = HalfFloats.floatToF16(Math.min(chunkMax, 65504f));
        KvBytes.putShort(dst, dstOff, superBits);
        float superScale = Float.float16ToFloat(superBits);
        for (int blk = 0; blk < n / QK; blk++) {
            int s = srcOff + blk * QK;
            int b = dstOff + HEADER_BYTES + blk * BLOCK_BYTES;
            float absMax = 0f;
            for (int j = 0; j < QK; j++) {
                absMax = Math.max(absMax, Math.abs(src[s + j]));
            }
            int code = scaleCode(absMax, superScale);
            float scale = superScale * SCALE_STEPS[code];
            float inv = scale > 0f ? 1f / scale : 0f;
            dst[b] = (byte) code;
            for (int j = 0; j < QK / 2; j++) {
                int lo = nearest(src[s + j] * inv);
                int hi = nearest(src[s + j + QK / 2] * inv);
                dst[b + 1 + j] = (byte) (lo | hi << 4);
            }
        }
    }

    /** The scale code whose step is nearest to {@code absMax / superScale} on the log grid. */
    static int scaleCode(float absMax, float superScale) {
        if (!(absMax > 0f) || !(superScale > 0f)) {
            return 255;
        }
        double steps = -16.0 * StrictMath.log(absMax / superScale) / StrictMath.log(2.0);
        return (int) Math.max(0, Math.min(255, Math.rint(steps)));
    }

    /** Index of the code value nearest to {@code v}; values beyond ±1 take the end codes. */
    static int nearest(float v) {
        int idx = 0;
        for (float m : MIDPOINTS) {
            idx += v > m ? 1 : 0;
        }
        return idx;
    }

    private static float blockScale(byte[] chunk, int chunkOff, int block) {
        return KvBytes.half(chunk, chunkOff) * SCALE_STEPS[chunk[block] & 0xFF];
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        int block = chunkOff + HEADER_BYTES + (i / QK) * BLOCK_BYTES;
        int j = i % QK;
        int packed = chunk[block + 1 + j % 16];
        int code = (j < 16 ? packed : packed >> 4) & 0x0F;
        return CODEBOOK[code] * blockScale(chunk, chunkOff, block);
    }

    @Override
    protected FloatVector group(byte[] chunk, int chunkOff, int g) {
        int block = chunkOff + HEADER_BYTES + g / 4 * BLOCK_BYTES;
        int part = g % 4;
        ByteVector packed = ByteVector.fromArray(KvLanes.B8, chunk, block + 1 + part % 2 * L);
        ByteVector codes = part < 2 ? KvLanes.lowNibbles(packed) : KvLanes.highNibbles(packed);
        return lookup(codes, 0).mul(blockScale(chunk, chunkOff, block));
    }

    /** Eight code values: nibbles widened to int lanes pick from the two halves of the codebook. */
    private static FloatVector lookup(ByteVector nibbles, int part) {
        IntVector idx = (IntVector) nibbles.convertShape(VectorOperators.B2I, I, part);
        return idx.selectFrom(CODEBOOK_LOW, CODEBOOK_HIGH).reinterpretAsFloats();
    }

    @Override
    public void dotRows(float[] q, int qOff, int queries, int qStride, byte[] data, int chunkOff, int stride,
                        int rows, int start, int len, float scale, float[] out, int outOff, int outStride) {
        if (start % L != 0 || len % L != 0) {
            dotRowsScalar(q, qOff, queries, qStride, data, chunkOff, stride, rows, start, len, scale, out, outOff, outStride);
            return;
        }
        int first = start / L;
        int groups = len / L;
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            for (int j = 0; j < queries; j += 4) {
                int n = Math.min(4, queries - j);
                int q0 = qOff + j * qStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int g = 0; g < groups; g++) {
                    FloatVector x = group(data, chunkOff, first + g);
                    int o = q0 + L * g;
                    a0 = x.fma(FloatVector.fromArray(F, q, o), a0);
                    if (n > 1) {
                        a1 = x.fma(FloatVector.fromArray(F, q, o + qStride), a1);
                        if (n > 2) {
                            a2 = x.fma(FloatVector.fromArray(F, q, o + 2 * qStride), a2);
                            if (n > 3) {
                                a3 = x.fma(FloatVector.fromArray(F, q, o + 3 * qStride), a3);
                            }
                        }
                    }
                }
                int at = outOff + j * outStride + r;
                out[at] = scale * KvLanes.sumLikeX86(a0);
                if (n > 1) {
                    out[at + outStride] = scale * KvLanes.sumLikeX86(a1);
                    if (n > 2) {
                        out[at + 2 * outStride] = scale * KvLanes.sumLikeX86(a2);
                        if (n > 3) {
                            out[at + 3 * outStride] = scale * KvLanes.sumLikeX86(a3);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void axpyRows(float[] w, int wOff, int queries, int wStride, byte[] data, int chunkOff, int stride,
                         int rows, int start, int len, float[] out, int outOff, int outStride) {
        if (start % L != 0 || len % L != 0) {
            axpyRowsScalar(w, wOff, queries, wStride, data, chunkOff, stride, rows, start, len, out, outOff, outStride);
            return;
        }
        int first = start / L;
        int groups = len / L;
        // two groups of up to four weight sets stay in registers over all rows: each sum is still
        // out + w0·row0 + w1·row1 + ... in row order, without an out load and store per row
        for (int j = 0; j < queries; j += 4) {
            int n = Math.min(4, queries - j);
            for (int g = 0; g < groups; g += 2) {
                // an odd last group is paired with itself: both sums are then the same bits, stored twice
                int h = Math.min(g + 1, groups - 1);
                int oa = outOff + j * outStride + L * g;
                int ob = outOff + j * outStride + L * h;
                FloatVector a0 = FloatVector.fromArray(F, out, oa);
                FloatVector b0 = FloatVector.fromArray(F, out, ob);
                FloatVector a1 = n > 1 ? FloatVector.fromArray(F, out, oa + outStride) : a0;
                FloatVector b1 = n > 1 ? FloatVector.fromArray(F, out, ob + outStride) : b0;
                FloatVector a2 = n > 2 ? FloatVector.fromArray(F, out, oa + 2 * outStride) : a0;
                FloatVector b2 = n > 2 ? FloatVector.fromArray(F, out, ob + 2 * outStride) : b0;
                FloatVector a3 = n > 3 ? FloatVector.fromArray(F, out, oa + 3 * outStride) : a0;
                FloatVector b3 = n > 3 ? FloatVector.fromArray(F, out, ob + 3 * outStride) : b0;
                int c = chunkOff;
                int wAt = wOff + j * wStride;
                for (int r = 0; r < rows; r++, c += stride, wAt++) {
                    FloatVector x = group(data, c, first + g);
                    FloatVector y = group(data, c, first + h);
                    FloatVector w0 = FloatVector.broadcast(F, roundWeight(w[wAt]));
                    a0 = x.fma(w0, a0);
                    b0 = y.fma(w0, b0);
                    if (n > 1) {
                        FloatVector w1 = FloatVector.broadcast(F, roundWeight(w[wAt + wStride]));
                        a1 = x.fma(w1, a1);
                        b1 = y.fma(w1, b1);
                        if (n > 2) {
                            FloatVector w2 = FloatVector.broadcast(F, roundWeight(w[wAt + 2 * wStride]));
                            a2 = x.fma(w2, a2);
                            b2 = y.fma(w2, b2);
                            if (n > 3) {
                                FloatVector w3 = FloatVector.broadcast(F, roundWeight(w[wAt + 3 * wStride]));
                                a3 = x.fma(w3, a3);
                                b3 = y.fma(w3, b3);
                            }
                        }
                    }
                }
                a0.intoArray(out, oa);
                b0.intoArray(out, ob);
                if (n > 1) {
                    a1.intoArray(out, oa + outStride);
                    b1.intoArray(out, ob + outStride);
                    if (n > 2) {
                        a2.intoArray(out, oa + 2 * outStride);
                        b2.intoArray(out, ob + 2 * outStride);
                        if (n > 3) {
                            a3.intoArray(out, oa + 3 * outStride);
                            b3.intoArray(out, ob + 3 * outStride);
                        }
                    }
                }
            }
        }
    }

}
