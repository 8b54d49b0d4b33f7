package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import jdk.incubator.vector.FloatVector;
import llm4j.quant.format.HalfFloats;

/**
 * bfloat16: the upper half of a float32, so widening is a shift (exact, infinities included).
 * Queries and weights are rounded to bf16 as ggml's BF16 products round their float operand.
 */
public final class Bf16Codec extends KvCodec {

    public static final Bf16Codec INSTANCE = new Bf16Codec();

    private Bf16Codec() {
        super("bf16");
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
            KvBytes.putShort(dst, dstOff + 2 * i, HalfFloats.floatToBf16(src[srcOff + i]));
        }
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        return HalfFloats.bf16ToFloat(KvBytes.getShort(chunk, chunkOff + 2 * i));
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
        if (len % L != 0) {
            return dotScalar(q, qOff, chunk, chunkOff, start, len);
        }
        FloatVector acc = FloatVector.zero(F);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += L, p += 2 * L) {
            acc = KvLanes.bf16ToFloat(KvLanes.halves(chunk, p)).fma(FloatVector.fromArray(F, q, qOff + i), acc);
        }
        return KvLanes.sumLikeX86(acc);
    }

    @Override
    public void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        if (len % L != 0) {
            axpyScalar(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        FloatVector wv = FloatVector.broadcast(F, w);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += L, p += 2 * L) {
            FloatVector x = KvLanes.bf16ToFloat(KvLanes.halves(chunk, p));
            x.fma(wv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
    }

    @Override
    public void roundQuery(float[] q, int off, int n) {
        for (int i = off; i < off + n; i++) {
            q[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(q[i]));
        }
    }

    @Override
    public float roundWeight(float w) {
        return HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(w));
    }

    @Override
    public boolean roundsQuery() {
        return true;
    }
}
