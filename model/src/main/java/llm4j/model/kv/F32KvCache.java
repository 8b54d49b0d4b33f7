package llm4j.model.kv;

import llm4j.model.math.FloatMath;

/** Keys and values kept as float32: the exact reference every quantized cache is measured against. */
public final class F32KvCache implements KvCache {

    private final int capacity;
    private final int kvDim;
    private final int headDim;
    private final float[][] keys;
    private final float[][] values;

    public F32KvCache(int layers, int capacity, int kvHeads, int headDim) {
        this.capacity = capacity;
        this.kvDim = kvHeads * headDim;
        this.headDim = headDim;
        long perLayer = (long) capacity * kvDim;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("context of " + capacity + " positions is too large for an f32 cache");
        }
        this.keys = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        System.arraycopy(k, kOffset, keys[layer], position * kvDim, kvDim);
        System.arraycopy(v, vOffset, values[layer], position * kvDim, kvDim);
    }

    @Override
    public void attend(int layer, int kvHead, float[] q, int qOffset, int from, int to, float scale,
                       float[] scores, float[] out, int outOffset) {
        float[] k = keys[layer];
        float[] v = values[layer];
        int headOffset = kvHead * headDim;
        int n = to - from;
        for (int i = 0; i < n; i++) {
            scores[i] = scale * FloatMath.dot(q, qOffset, k, (from + i) * kvDim + headOffset, headDim);
        }
        FloatMath.softmax(scores, 0, n);
        java.util.Arrays.fill(out, outOffset, outOffset + headDim, 0f);
        for (int i = 0; i < n; i++) {
            FloatMath.axpy(out, outOffset, scores[i], v, (from + i) * kvDim + headOffset, headDim);
        }
    }

    @Override
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
