package llm4j.model.kv;

/**
 * Keys and values of past positions, per layer. Attention asks the cache to score a query against
 * a range of positions and to mix their values; how they are stored (precision, blocks, rotation)
 * stays inside the implementation.
 */
public interface KvCache {

    /** Positions the cache can hold. */
    int capacity();

    /** Stores the K and V rows ({@code kvHeads * headDim} floats each) of {@code position} in {@code layer}. */
    void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset);

    /**
     * Attention of one query head over positions {@code [from, to)} of K/V head {@code kvHead}:
     * {@code out = softmax(scale * q·K) V}. {@code scores} is per-thread scratch of at least
     * {@link #scratchFloats(int) scratchFloats(to - from)} floats.
     */
    void attend(int layer, int kvHead, float[] q, int qOffset, int from, int to, float scale,
                float[] scores, float[] out, int outOffset);

    /** Scratch floats {@link #attend} needs for {@code positions} positions. */
    default int scratchFloats(int positions) {
        return positions;
    }

    /**
     * Attention of {@code group} consecutive query heads that share K/V head {@code kvHead}
     * (grouped-query attention), queries and outputs {@code headDim} floats apart. Caches that can
     * read each stored row once for the whole group override this; the default asks per head.
     */
    default void attendGroup(int layer, int kvHead, int group, int headDim, float[] q, int qOffset, int from, int to,
                             float scale, float[] scratch, float[] out, int outOffset) {
        for (int g = 0; g < group; g++) {
            attend(layer, kvHead, q, qOffset + g * headDim, from, to, scale, scratch, out, outOffset + g * headDim);
        }
    }

    /** Whether {@link #attendGroupSegment} is supported (a decode step can then split long spans between threads). */
    default boolean attendsInSegments() {
        return false;
    }

    /**
     * {@link #attendGroup} over positions {@code [from, to)} only, left unnormalized so that segments computed
     * apart can be merged ({@link AttentionSegments}): {@code out} receives Σ e^(s − m)·v per query, and
     * {@code stats[statsOffset + 2j]} the segment's largest score m, {@code stats[statsOffset + 2j + 1]} Σ e^(s − m).
     */
    default void attendGroupSegment(int layer, int kvHead, int group, int headDim, float[] q, int qOffset, int from, int to,
                                    float scale, float[] scratch, float[] out, int outOffset, float[] stats, int statsOffset) {
        throw new UnsupportedOperationException("this cache does not attend in segments");
    }

    /** Scratch floats {@link #attendGroup} needs for {@code positions} positions and {@code group} heads. */
    default int scratchFloats(int positions, int group) {
        return scratchFloats(positions);
    }

    /** Bytes held by the cache. */
    long bytes();

    /**
     * Makes room for positions {@code [position, position + n)} before they are stored. Positions
     * at or after {@code position} that the cache holds are forgotten first (the sequence was
     * rewound). A cache with a memory cap requantizes, evicts or shifts here; a context shift
     * renumbers the sequence, and the return value says by how much: the batch then belongs at
     * {@code position - shift}. Caches without shifting return 0.
     */
    default int reserve(int position, int n) {
        if (position + n > capacity()) {
            throw new IllegalArgumentException("positions up to " + (position + n) + " exceed the context of " + capacity());
        }
        return 0;
    }

    /** Whether {@link #reserve} renumbers positions (a context shift) instead of refusing a full context. */
    default boolean shiftsContext() {
        return false;
    }
}
