package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import llm4j.quant.format.HalfFloats;

/**
 * IEEE binary16, llama.cpp's default cache type. Queries and softmax weights are rounded to half
 * precision as well, because ggml's F16 matrix products convert their float operand to F16 first;
 * keeping those roundings keeps logits next to llama.cpp's.
 */
public final class F16Codec extends KvCodec {

    public static final F16Codec INSTANCE = new F16Codec();

    private F16Codec() {
        super("f16");
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int chunkBytes(int n) {
        return 2 * n;
    }

    @Override
    public void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            KvBytes.putShort(dst, dstOff + 2 * i, HalfFloats.floatToF16(src[srcOff + i]));
        }
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        return HalfFloats.f16ToFloat(KvBytes.getShort(chunk, chunkOff + 2 * i));
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

    /**
     * Sums like llama.cpp's F16 product of keys and query (llamafile's tinyBLAS on x86): one
     * 8-lane accumulator of fused multiply-adds over the head, then the SSE horizontal sum. The
     * products of two halves are exact in float, so only this order matters; reproducing it keeps
     * stories260K's logits within 1e-4 of llama.cpp's instead of 1e-3.
     */
    @Override
    public float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        if (len % L != 0) {
            return dotScalar(q, qOff, chunk, chunkOff, start, len);
        }
        FloatVector acc = FloatVector.zero(F);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += L, p += 2 * L) {
            ShortVector h = KvLanes.halves(chunk, p);
            if (KvLanes.anySpecial(h)) {
                return dotScalar(q, qOff, chunk, chunkOff, start, len);
            }
            acc = KvLanes.halfToFloat(h).fma(FloatVector.fromArray(F, q, qOff + i), acc);
        }
        return KvLanes.sumLikeX86(acc);
    }

    @Override
    public void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        if (len % L != 0 || anySpecial(chunk, chunkOff + 2 * start, len)) {
            axpyScalar(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        FloatVector wv = FloatVector.broadcast(F, w);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += L, p += 2 * L) {
            FloatVector x = KvLanes.halfToFloat(KvLanes.halves(chunk, p));
            x.fma(wv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
    }

    /** Checked before touching {@code out}, so a fallback never sees a half-updated accumulator. */
    private static boolean anySpecial(byte[] chunk, int p, int len) {
        for (int i = 0; i < len; i += L, p += 2 * L) {
            if (KvLanes.anySpecial(KvLanes.halves(chunk, p))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void roundQuery(float[] q, int off, int n) {
        for (int i = off; i < off + n; i++) {
            q[i] = Float.float16ToFloat(Float.floatToFloat16(q[i]));
        }
    }

    @Override
    public float roundWeight(float w) {
        return Float.float16ToFloat(Float.floatToFloat16(w));
    }

    @Override
    public boolean roundsQuery() {
        return true;
    }
}
