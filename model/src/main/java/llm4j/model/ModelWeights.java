package llm4j.model;

import llm4j.quant.WeightTensor;

/** All weights of a model, packed tensors viewed in place in the mapped file. */
public record ModelWeights(
        WeightTensor tokenEmbedding,
        LayerWeights[] layers,
        float[] outputNorm,
        Linear output) {
}
