package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/** Plain little-endian float32: the exact reference type. */
public final class F32Codec extends KvCodec {

    public static final F32Codec INSTANCE = new F32Codec();

    private F32Codec() {
        super("f32");
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int chunkBytes(int n) {
        return 4 * n;
    }

    @Override
    public void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            KvBytes.putFloat(dst, dstOff + 4 * i, src[srcOff + i]);
        }
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        return KvBytes.getFloat(chunk, chunkOff + 4 * i);
    }

    private static FloatVector load(byte[] chunk, int off) {
        return ByteVector.fromArray(ByteVector.SPECIES_256, chunk, off).reinterpretAsFloats();
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

    /** One accumulator and the x86 horizontal sum, the order of llama.cpp's F32 products (see {@link F16Codec#dot}). */
    @Override
    public float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        if (len % L != 0) {
            return dotScalar(q, qOff, chunk, chunkOff, start, len);
        }
        FloatVector acc = FloatVector.zero(F);
        int p = chunkOff + 4 * start;
        for (int i = 0; i < len; i += L, p += 4 * L) {
            acc = load(chunk, p).fma(FloatVector.fromArray(F, q, qOff + i), acc);
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
        int p = chunkOff + 4 * start;
        for (int i = 0; i < len; i += L, p += 4 * L) {
            load(chunk, p).fma(wv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
    }
}
