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

    private static boolean aligned(int start, int len) {
        return start % QK == 0 && len % QK == 0;
    }

    /** Eight code values: nibbles widened to int lanes pick from the two halves of the codebook. */
    private static FloatVector lookup(ByteVector nibbles, int part) {
        IntVector idx = (IntVector) nibbles.convertShape(VectorOperators.B2I, I, part);
        return idx.selectFrom(CODEBOOK_LOW, CODEBOOK_HIGH).reinterpretAsFloats();
    }

    @Override
    public void dotRows(float[] q, int qOff, byte[] data, int chunkOff, int stride, int rows, int start, int len,
                        float scale, float[] out, int outOff) {
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            out[outOff + r] = scale * dot(q, qOff, data, chunkOff, start, len);
        }
    }

    @Override
    public void axpyRows(float[] w, int wOff, byte[] data, int chunkOff, int stride, int rows, int start, int len,
                         float[] out, int outOff) {
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            axpy(roundWeight(w[wOff + r]), data, chunkOff, start, len, out, outOff);
        }
    }

    @Override
    public float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        if (!aligned(start, len)) {
            return dotGroups(q, qOff, chunk, chunkOff, start, len);
        }
        FloatVector acc = FloatVector.zero(F);
        int b = chunkOff + HEADER_BYTES + start / QK * BLOCK_BYTES;
        for (int i = qOff; i < qOff + len; i += QK, b += BLOCK_BYTES) {
            ByteVector packed = ByteVector.fromArray(B16, chunk, b + 1);
            ByteVector low = KvLanes.lowNibbles(packed);
            ByteVector high = KvLanes.highNibbles(packed);
            FloatVector sum = lookup(low, 0).mul(FloatVector.fromArray(F, q, i));
            sum = lookup(low, 1).fma(FloatVector.fromArray(F, q, i + L), sum);
            sum = lookup(high, 0).fma(FloatVector.fromArray(F, q, i + 2 * L), sum);
            sum = lookup(high, 1).fma(FloatVector.fromArray(F, q, i + 3 * L), sum);
            acc = sum.fma(FloatVector.broadcast(F, blockScale(chunk, chunkOff, b)), acc);
        }
        return KvLanes.sumLikeX86(acc);
    }

    @Override
    public void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        if (!aligned(start, len)) {
            axpyGroups(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        int b = chunkOff + HEADER_BYTES + start / QK * BLOCK_BYTES;
        for (int o = outOff; o < outOff + len; o += QK, b += BLOCK_BYTES) {
            FloatVector ws = FloatVector.broadcast(F, w * blockScale(chunk, chunkOff, b));
            ByteVector packed = ByteVector.fromArray(B16, chunk, b + 1);
            ByteVector low = KvLanes.lowNibbles(packed);
            ByteVector high = KvLanes.highNibbles(packed);
            lookup(low, 0).fma(ws, FloatVector.fromArray(F, out, o)).intoArray(out, o);
            lookup(low, 1).fma(ws, FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
            lookup(high, 0).fma(ws, FloatVector.fromArray(F, out, o + 2 * L)).intoArray(out, o + 2 * L);
            lookup(high, 1).fma(ws, FloatVector.fromArray(F, out, o + 3 * L)).intoArray(out, o + 3 * L);
        }
    }
}
