package llm4j.model.synth;

import java.util.Arrays;
import java.util.Locale;

/**
 * Outlier channels in the keys of a synthetic model, so KV-cache quantization can be measured on
 * keys shaped like a real model's rather than on i.i.d. Gaussian ones.
 *
 * <p>Why: in trained LLMs a few key channels per head are consistently 10-100x larger than the rest
 * (KIVI, Liu et al. 2024, quantizes keys per channel for this reason; KVQuant, Hooper et al. 2024,
 * finds the outlier channels fixed before RoPE and smeared over their rotary pair after it; QuaRot,
 * Ashkboos et al. 2024, and SpinQuant rotate keys to spread them). Random N(0, 0.02) weights give
 * every channel the same variance, so a block quantizer sees no outliers and neither the Hadamard
 * rotation nor the channel smoothing of the KV cache has anything to do.
 *
 * <p>How: in every layer's {@code attn_k.weight}, {@code pairs} rotary pairs of each KV head, chosen
 * by the seed (and the tensor name, so layers differ), have both rows multiplied by {@code gain}:
 * the key channels those rows produce are {@code gain} times larger for every token. Both rows of
 * a pair, because RoPE rotates a pair's two channels into each other: a large pre-RoPE channel is a
 * large pair after RoPE, which is what KVQuant observes. Pairs follow GGUF llama's adjacent layout
 * (rows 2i and 2i+1 of a head). Queries are left alone, so attention logits gain the outliers'
 * weight as in real models, where these channels dominate q·k.
 *
 * @param pairs rotary pairs per KV head made loud (0: none, the plain model)
 * @param gain  factor on their rows
 */
public record KeyOutliers(int pairs, float gain) {

    public static final KeyOutliers NONE = new KeyOutliers(0, 1f);
    public static final float DEFAULT_GAIN = 16f;

    public KeyOutliers {
        if (pairs < 0) {
            throw new IllegalArgumentException("outlier pairs must not be negative, not " + pairs);
        }
        if (!(gain > 0) || !Float.isFinite(gain)) {
            throw new IllegalArgumentException("outlier gain must be a positive number, not " + gain);
        }
    }

    /** {@code N} or {@code N:GAIN}, N rotary pairs per KV head (the gain defaults to {@value #DEFAULT_GAIN}). */
    public static KeyOutliers parse(String text) {
        String[] parts = text.trim().split(":", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("expected N or N:GAIN, not '" + text + "'");
        }
        int pairs;
        float gain = DEFAULT_GAIN;
        try {
            pairs = Integer.parseInt(parts[0].trim());
            if (parts.length == 2) {
                gain = Float.parseFloat(parts[1].trim());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected N or N:GAIN (N pairs per KV head, a positive gain), not '" + text + "'");
        }
        if (pairs < 1) {
            throw new IllegalArgumentException("N must be at least 1 pair per KV head, not " + pairs);
        }
        return new KeyOutliers(pairs, gain);
    }

    public boolean none() {
        return pairs == 0;
    }

    /** Whether a head of {@code headDim} channels has room for them. */
    public void check(int headDim) {
        if (pairs > headDim / 2) {
            throw new IllegalArgumentException("a head of " + headDim + " channels has " + headDim / 2
                    + " rotary pairs, not " + pairs);
        }
    }

    /**
     * One factor per row of a K projection of {@code kvHeads} heads (1 or {@link #gain}), the loud
     * pairs of each head drawn without replacement from {@code seed}; null when there are none.
     */
    float[] rowGains(int kvHeads, int headDim, long seed) {
        if (none()) {
            return null;
        }
        check(headDim);
        float[] gains = new float[kvHeads * headDim];
        Arrays.fill(gains, 1f);
        int half = headDim / 2;
        int[] order = new int[half];
        for (int h = 0; h < kvHeads; h++) {
            for (int i = 0; i < half; i++) {
                order[i] = i;
            }
            // the first `pairs` steps of a Fisher-Yates shuffle: a uniform choice of distinct pairs
            for (int i = 0; i < pairs; i++) {
                long r = GaussianNoise.derive(seed, (long) h * half + i) >>> 1;
                int j = i + (int) (r % (half - i));
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
                int row = h * headDim + 2 * order[i];
                gains[row] = gain;
                gains[row + 1] = gain;
            }
        }
        return gains;
    }

    /** {@code N:GAIN} as {@link #parse} reads it, a whole gain without ".0". */
    public String label() {
        return pairs + ":" + gainText();
    }

    /** For the file's description. */
    String describe() {
        return String.format(Locale.ROOT, "%d rotary pair%s per KV head of attn_k scaled by %s", pairs, pairs == 1 ? "" : "s", gainText());
    }

    private String gainText() {
        return gain == Math.rint(gain) ? String.valueOf((long) gain) : String.valueOf(gain);
    }
}
