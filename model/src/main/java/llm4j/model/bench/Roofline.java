package llm4j.model.bench;

import llm4j.model.LayerWeights;
import llm4j.model.Linear;
import llm4j.model.ModelWeights;

/**
 * How close generation comes to the memory-bandwidth limit. Generating one token streams every weight
 * matrix once, so at best {@code t/s = bandwidth / bytes per token}; the roofline fraction is the
 * measured speed over that bound: {@code t/s × bytes per token ÷ bandwidth}.
 *
 * <p>Bytes per token are the packed bytes of every layer's seven matrices (q, k, v, o, gate, up,
 * down) plus the output projection. The token embedding is not counted: a token reads one row of it.
 * With tied embeddings the output projection is the embedding matrix, read in full once, as output.
 * Norm vectors (a few KiB), the KV cache (which grows with depth) and activations are left out, so
 * the fraction is slightly optimistic about what is left to gain, and more so at large depths.
 */
public final class Roofline {

    private Roofline() {
    }

    /** Packed weight bytes one generated token reads (see the class comment). */
    public static long bytesPerToken(ModelWeights w) {
        long bytes = bytes(w.output());
        for (LayerWeights l : w.layers()) {
            bytes += bytes(l.wq()) + bytes(l.wk()) + bytes(l.wv()) + bytes(l.wo())
                    + bytes(l.gate()) + bytes(l.up()) + bytes(l.down());
        }
        return bytes;
    }

    private static long bytes(Linear linear) {
        return linear.weight().byteSize();
    }

    /**
     * The fraction of the bandwidth bound reached: {@code tokensPerSecond × bytesPerToken ÷
     * bytesPerSecond} (1.0 = every byte streamed at the measured bandwidth).
     */
    public static double fraction(double tokensPerSecond, long bytesPerToken, double bytesPerSecond) {
        if (!(bytesPerSecond > 0)) {
            throw new IllegalArgumentException("bandwidth must be positive, not " + bytesPerSecond);
        }
        return tokensPerSecond * bytesPerToken / bytesPerSecond;
    }

    /** The speed the bandwidth allows at best: {@code bytesPerSecond ÷ bytesPerToken}. */
    public static double boundTokensPerSecond(long bytesPerToken, double bytesPerSecond) {
        return bytesPerSecond / bytesPerToken;
    }
}
