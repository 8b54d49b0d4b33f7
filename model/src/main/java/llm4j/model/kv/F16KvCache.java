package llm4j.model.kv;

/**
 * Keys and values stored as IEEE half floats, llama.cpp's default cache type. Attention rounds the
 * query and the softmax weights to half precision as well, because that is what ggml's F16
 * matrix products do to their float operand; keeping the same roundings keeps logits within about
 * 1e-5 of llama.cpp instead of about 1e-2.
 */
public final class F16KvCache implements KvCache {

    private final int capacity;
    private final int kvDim;
    private final int headDim;
    private final short[][] keys;
    private final short[][] values;

    public F16KvCache(int layers, int capacity, int kvHeads, int headDim) {
        this.capacity = capacity;
        this.kvDim = kvHeads * headDim;
        this.headDim = headDim;
        long perLayer = (long) capacity * kvDim;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("context of " + capacity + " positions is too large for one f16 cache array");
        }
        this.keys = new short[layers][(int) perLayer];
        this.values = new short[layers][(int) perLayer];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        short[] ks = keys[layer];
        short[] vs = values[layer];
        int base = position * kvDim;
        for (int i = 0; i < kvDim; i++) {
            ks[base + i] = Float.floatToFloat16(k[kOffset + i]);
            vs[base + i] = Float.floatToFloat16(v[vOffset + i]);
        }
    }

    @Override
    public void attend(int layer, int kvHead, float[] q, int qOffset, int from, int to, float scale,
                       float[] scores, float[] out, int outOffset) {
        short[] k = keys[layer];
        short[] v = values[layer];
        int headOffset = kvHead * headDim;
        int n = to - from;
        float[] qh = scores; // the rounded query lives behind the n scores
        for (int d = 0; d < headDim; d++) {
            qh[n + d] = Float.float16ToFloat(Float.floatToFloat16(q[qOffset + d]));
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            int base = (from + i) * kvDim + headOffset;
            float dot = 0f;
            for (int d = 0; d < headDim; d++) {
                dot += qh[n + d] * Float.float16ToFloat(k[base + d]);
            }
            scores[i] = dot * scale;
            max = Math.max(max, scores[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(scores[i] - max);
            scores[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int d = 0; d < headDim; d++) {
            out[outOffset + d] = 0f;
        }
        for (int i = 0; i < n; i++) {
            float p = Float.float16ToFloat(Float.floatToFloat16(scores[i] * inv));
            int base = (from + i) * kvDim + headOffset;
            for (int d = 0; d < headDim; d++) {
                out[outOffset + d] += p * Float.float16ToFloat(v[base + d]);
            }
        }
    }

    @Override
    public int scratchFloats(int positions) {
        return positions + headDim;
    }

    @Override
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Short.BYTES;
    }
}
