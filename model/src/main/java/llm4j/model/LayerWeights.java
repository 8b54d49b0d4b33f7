package llm4j.model;

/** One transformer block: attention and SwiGLU feed-forward with their RMS norms. */
public record LayerWeights(
        float[] attnNorm,
        Linear wq,
        Linear wk,
        Linear wv,
        Linear wo,
        float[] ffnNorm,
        Linear gate,
        Linear up,
        Linear down) {
}
