package llm4j.model;

/**
 * Hyper-parameters of a llama-family transformer.
 *
 * @param contextLength  the context the model was trained with
 * @param ropeScale      positions are multiplied by this before rotation (linear scaling: 1/factor)
 * @param slidingWindow  attention window in tokens (Mistral), 0 for full attention
 * @param attentionBias  whether Q/K/V carry biases (Qwen2)
 */
public record ModelConfig(
        String architecture,
        int dim,
        int hiddenDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        RopeStyle ropeStyle,
        int ropeDim,
        float ropeBase,
        float ropeScale,
        int slidingWindow,
        boolean attentionBias) {

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads sharing one K/V head (grouped-query attention). */
    public int groupSize() {
        return heads / kvHeads;
    }
}
