package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
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
    public float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        if (len % (2 * L) != 0) {
            return len % L == 0 ? dotSingle(q, qOff, chunk, chunkOff, start, len) : dotScalar(q, qOff, chunk, chunkOff, start, len);
        }
        // two accumulators: a head of 64 is 8 dependent FMAs otherwise
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += 2 * L, p += 4 * L) {
            ShortVector h0 = KvLanes.halves(chunk, p);
            ShortVector h1 = KvLanes.halves(chunk, p + 2 * L);
            if (KvLanes.anySpecial(h0) || KvLanes.anySpecial(h1)) {
                return dotScalar(q, qOff, chunk, chunkOff, start, len);
            }
            acc0 = KvLanes.halfToFloat(h0).fma(FloatVector.fromArray(F, q, qOff + i), acc0);
            acc1 = KvLanes.halfToFloat(h1).fma(FloatVector.fromArray(F, q, qOff + i + L), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private float dotSingle(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        FloatVector acc = FloatVector.zero(F);
        int p = chunkOff + 2 * start;
        for (int i = 0; i < len; i += L, p += 2 * L) {
            ShortVector h = KvLanes.halves(chunk, p);
            if (KvLanes.anySpecial(h)) {
                return dotScalar(q, qOff, chunk, chunkOff, start, len);
            }
            acc = KvLanes.halfToFloat(h).fma(FloatVector.fromArray(F, q, qOff + i), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
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
