package llm4j.model.kv;

import llm4j.model.math.FloatMath;

/**
 * Attention over a long span split into segments that threads compute apart, then merged exactly
 * (the flash-decoding idea): each segment keeps its scores' maximum m and Σ e^(s − m) next to its
 * unnormalized weighted sum of values, and the merge rescales every segment to the common maximum.
 * A decode step has one query per head and only as many work items as K/V heads (3 for SmolLM2,
 * on 2 threads); splitting positions as well keeps every thread busy at depth.
 */
public final class AttentionSegments {

    private AttentionSegments() {
    }

    /**
     * Replaces {@code n} scores at {@code off} by e^(s − m), m their maximum, and stores m and the sum of
     * the exponentials at {@code stats[at]}, {@code stats[at + 1]}.
     */
    static void exponentiate(float[] x, int off, int n, float[] stats, int at) {
        float max = FloatMath.max(x, off, n);
        stats[at] = max;
        stats[at + 1] = (float) FloatMath.expShifted(x, off, n, max);
    }

    /**
     * Merges {@code segments} partial results of {@code group} queries: segment i's sums for query j start
     * at {@code partial[partialOffset + (i·group + j)·headDim]}, its (max, Σ) at
     * {@code stats[statsOffset + 2·(i·group + j)]}. Writes the normalized attention output of query j to
     * {@code out[outOffset + j·headDim ..]}.
     */
    public static void merge(float[] partial, float[] stats, int segments, int group, int headDim, float[] out, int outOffset,
                             int partialOffset, int statsOffset) {
        for (int j = 0; j < group; j++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < segments; i++) {
                max = Math.max(max, stats[statsOffset + 2 * (i * group + j)]);
            }
            double denominator = 0;
            for (int i = 0; i < segments; i++) {
                int at = statsOffset + 2 * (i * group + j);
                if (stats[at + 1] > 0f) {
                    denominator += stats[at + 1] * Math.exp(stats[at] - max);
                }
            }
            int o = outOffset + j * headDim;
            java.util.Arrays.fill(out, o, o + headDim, 0f);
            if (denominator == 0) {
                continue;
            }
            for (int i = 0; i < segments; i++) {
                int at = statsOffset + 2 * (i * group + j);
                if (stats[at + 1] == 0f) {
                    continue; // an empty segment
                }
                float factor = (float) (Math.exp(stats[at] - max) / denominator);
                int p = partialOffset + (i * group + j) * headDim;
                for (int d = 0; d < headDim; d++) {
                    out[o + d] += factor * partial[p + d];
                }
            }
        }
    }
}
