package llm4j.model.kv;

import llm4j.quant.kv.F16Codec;

/**
 * Keys and values stored as IEEE half floats, llama.cpp's default cache type: a
 * {@link PagedKvCache} with f16 keys and values and no cap. Attention rounds the query and the
 * softmax weights to half precision as well, because that is what ggml's F16 matrix products do to
 * their float operand; keeping the same roundings keeps logits within about 1e-5 of llama.cpp
 * instead of about 1e-2.
 */
public final class F16KvCache implements KvCache {

    private final PagedKvCache cache;

    public F16KvCache(int layers, int capacity, int kvHeads, int headDim) {
        this.cache = new PagedKvCache(new KvGeometry(layers, kvHeads, headDim), capacity,
                KvSettings.of(F16Codec.INSTANCE, F16Codec.INSTANCE), null);
    }

    @Override
    public int capacity() {
        return cache.capacity();
    }

    @Override
    public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        cache.store(layer, position, k, kOffset, v, vOffset);
    }

    @Override
    public void attend(int layer, int kvHead, float[] q, int qOffset, int from, int to, float scale,
                       float[] scores, float[] out, int outOffset) {
        cache.attend(layer, kvHead, q, qOffset, from, to, scale, scores, out, outOffset);
    }

    @Override
    public void attendGroup(int layer, int kvHead, int group, int headDim, float[] q, int qOffset, int from, int to,
                            float scale, float[] scratch, float[] out, int outOffset) {
        cache.attendGroup(layer, kvHead, group, headDim, q, qOffset, from, to, scale, scratch, out, outOffset);
    }

    @Override
    public boolean attendsInSegments() {
        return true;
    }

    @Override
    public void attendGroupSegment(int layer, int kvHead, int group, int headDim, float[] q, int qOffset, int from, int to,
                                   float scale, float[] scratch, float[] out, int outOffset, float[] stats, int statsOffset) {
        cache.attendGroupSegment(layer, kvHead, group, headDim, q, qOffset, from, to, scale, scratch, out, outOffset,
                stats, statsOffset);
    }

    @Override
    public int scratchFloats(int positions) {
        return cache.scratchFloats(positions);
    }

    @Override
    public int scratchFloats(int positions, int group) {
        return cache.scratchFloats(positions, group);
    }

    @Override
    public long bytes() {
        return cache.bytes();
    }

    @Override
    public int reserve(int position, int n) {
        return cache.reserve(position, n);
    }
}
