package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.B16;
import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.format.Q4_0Format;

/**
 * ggml Q4_0: per 32 values an fp16 scale d and 16 bytes of 4-bit codes; value = (q - 8)·d. Byte j
 * holds element j in its low nibble and element j + 16 in its high nibble. 18 bytes per block.
 */
public final class Q4_0Codec extends KvCodec {

    public static final Q4_0Codec INSTANCE = new Q4_0Codec();

    static final int QK = 32;
    static final int BLOCK_BYTES = 18;

    private Q4_0Codec() {
        super("q4_0");
    }

    @Override
    public int blockSize() {
        return QK;
    }

    @Override
    public int chunkBytes(int n) {
        return n / QK * BLOCK_BYTES;
    }

    /** ggml's reference quantizer, byte for byte. */
    @Override
    public void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        Q4_0Format.INSTANCE.quantize(src, srcOff, n, MemorySegment.ofArray(dst), dstOff);
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        int block = chunkOff + (i / QK) * BLOCK_BYTES;
        int j = i % QK;
        int packed = chunk[block + 2 + j % 16];
        int code = (j < 16 ? packed : packed >> 4) & 0x0F;
        return (code - 8) * KvBytes.half(chunk, block);
    }

    /** Groups 0 and 1 of a block are low nibbles of its bytes 0..15, groups 2 and 3 the high nibbles. */
    @Override
    protected FloatVector group(byte[] chunk, int chunkOff, int g) {
        int block = chunkOff + g / 4 * BLOCK_BYTES;
        int part = g % 4;
        ByteVector packed = ByteVector.fromArray(KvLanes.B8, chunk, block + 2 + part % 2 * L);
        ByteVector codes = part < 2 ? KvLanes.lowNibbles(packed) : KvLanes.highNibbles(packed);
        return KvLanes.bytesToFloat(codes.sub((byte) 8), 0).mul(KvBytes.half(chunk, block));
    }

    private static boolean aligned(int start, int len) {
        return start % QK == 0 && len % QK == 0;
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
        int b = chunkOff + start / QK * BLOCK_BYTES;
        for (int i = qOff; i < qOff + len; i += QK, b += BLOCK_BYTES) {
            ByteVector packed = ByteVector.fromArray(B16, chunk, b + 2);
            ByteVector low = KvLanes.lowNibbles(packed).sub((byte) 8);
            ByteVector high = KvLanes.highNibbles(packed).sub((byte) 8);
            FloatVector sum = KvLanes.bytesToFloat(low, 0).mul(FloatVector.fromArray(F, q, i));
            sum = KvLanes.bytesToFloat(low, 1).fma(FloatVector.fromArray(F, q, i + L), sum);
            sum = KvLanes.bytesToFloat(high, 0).fma(FloatVector.fromArray(F, q, i + 2 * L), sum);
            sum = KvLanes.bytesToFloat(high, 1).fma(FloatVector.fromArray(F, q, i + 3 * L), sum);
            acc = sum.fma(FloatVector.broadcast(F, KvBytes.half(chunk, b)), acc);
        }
        return KvLanes.sumLikeX86(acc);
    }

    @Override
    public void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        if (!aligned(start, len)) {
            axpyGroups(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        int b = chunkOff + start / QK * BLOCK_BYTES;
        for (int o = outOff; o < outOff + len; o += QK, b += BLOCK_BYTES) {
            FloatVector wd = FloatVector.broadcast(F, w * KvBytes.half(chunk, b));
            ByteVector packed = ByteVector.fromArray(B16, chunk, b + 2);
            ByteVector low = KvLanes.lowNibbles(packed).sub((byte) 8);
            ByteVector high = KvLanes.highNibbles(packed).sub((byte) 8);
            KvLanes.bytesToFloat(low, 0).fma(wd, FloatVector.fromArray(F, out, o)).intoArray(out, o);
            KvLanes.bytesToFloat(low, 1).fma(wd, FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
            KvLanes.bytesToFloat(high, 0).fma(wd, FloatVector.fromArray(F, out, o + 2 * L)).intoArray(out, o + 2 * L);
            KvLanes.bytesToFloat(high, 1).fma(wd, FloatVector.fromArray(F, out, o + 3 * L)).intoArray(out, o + 3 * L);
        }
    }
}
