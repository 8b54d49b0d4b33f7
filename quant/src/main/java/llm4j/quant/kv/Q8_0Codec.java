package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.B8;
import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.format.Q8_0Format;

/** ggml Q8_0: per 32 values an fp16 scale d and 32 signed bytes q; value = q·d. 34 bytes per block. */
public final class Q8_0Codec extends KvCodec {

    public static final Q8_0Codec INSTANCE = new Q8_0Codec();

    static final int QK = 32;
    static final int BLOCK_BYTES = 34;

    private Q8_0Codec() {
        super("q8_0");
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
        Q8_0Format.INSTANCE.quantize(src, srcOff, n, MemorySegment.ofArray(dst), dstOff);
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        int block = chunkOff + (i / QK) * BLOCK_BYTES;
        return chunk[block + 2 + i % QK] * KvBytes.half(chunk, block);
    }

    @Override
    protected FloatVector group(byte[] chunk, int chunkOff, int g) {
        int block = chunkOff + g / 4 * BLOCK_BYTES;
        FloatVector codes = KvLanes.bytesToFloat(ByteVector.fromArray(B8, chunk, block + 2 + g % 4 * L), 0);
        return codes.mul(KvBytes.half(chunk, block));
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
        for (int i = 0; i < len; i += QK, b += BLOCK_BYTES) {
            FloatVector sum = FloatVector.zero(F);
            for (int p = 0; p < QK; p += L) {
                FloatVector x = KvLanes.bytesToFloat(ByteVector.fromArray(B8, chunk, b + 2 + p), 0);
                sum = x.fma(FloatVector.fromArray(F, q, qOff + i + p), sum);
            }
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
        for (int i = 0; i < len; i += QK, b += BLOCK_BYTES) {
            FloatVector wd = FloatVector.broadcast(F, w * KvBytes.half(chunk, b));
            for (int p = 0; p < QK; p += L) {
                int o = outOff + i + p;
                FloatVector x = KvLanes.bytesToFloat(ByteVector.fromArray(B8, chunk, b + 2 + p), 0);
                x.fma(wd, FloatVector.fromArray(F, out, o)).intoArray(out, o);
            }
        }
    }
}
