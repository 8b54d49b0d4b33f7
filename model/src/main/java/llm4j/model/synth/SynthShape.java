package llm4j.model.synth;

import java.util.List;
import java.util.Locale;

/**
 * The hyper-parameters of a llama-family model whose tensor shapes a synthetic file reproduces.
 * Embeddings are always tied (no {@code output.weight}), as in both real models listed here.
 *
 * @param contextLength the declared {@code llama.context_length}
 */
public record SynthShape(
        String name,
        String description,
        int dim,
        int hiddenDim,
        int layers,
        int heads,
        int kvHeads,
        int vocabSize,
        int contextLength,
        float ropeBase,
        float rmsEps) {

    /** SmolLM2-135M (HF config.json of HuggingFaceTB/SmolLM2-135M-Instruct). */
    public static final SynthShape SMOLLM2_135M = new SynthShape("smollm2-135m", "SmolLM2 135M",
            576, 1536, 30, 9, 3, 49152, 8192, 100_000f, 1e-5f);

    /**
     * Llama-3.2-1B with SmolLM2's 49152-token vocabulary. The real model declares 131072 tokens of
     * context; 8192 is declared here so runners that size their KV cache from the training context do
     * not reserve 4 GiB for a benchmark (llama3 RoPE scaling, which only matters past 8192, is omitted).
     */
    public static final SynthShape LLAMA_32_1B = new SynthShape("llama-3.2-1b", "Llama 3.2 1B (SmolLM2 vocabulary)",
            2048, 8192, 16, 32, 8, 49152, 8192, 500_000f, 1e-5f);

    /** A small model for tests: every row length is a multiple of 256, so every K-quant applies unchanged. */
    public static final SynthShape TINY = new SynthShape("tiny", "tiny test model",
            256, 512, 2, 4, 2, 512, 512, 10_000f, 1e-5f);

    public static final List<SynthShape> ALL = List.of(SMOLLM2_135M, LLAMA_32_1B, TINY);

    public SynthShape {
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("shape " + name + " has a non-positive dimension");
        }
        if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
            throw new IllegalArgumentException("shape " + name + ": " + heads + " heads / " + kvHeads
                    + " KV heads do not divide width " + dim + " into even head sizes");
        }
        if (vocabSize < SynthVocabulary.MIN_SIZE) {
            throw new IllegalArgumentException("shape " + name + ": a vocabulary needs at least " + SynthVocabulary.MIN_SIZE + " tokens");
        }
    }

    public int headDim() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Parameter count (tied embeddings counted once). */
    public long parameters() {
        long attention = (long) dim * dim * 2 + (long) kvDim() * dim * 2;
        long ffn = 3L * dim * hiddenDim;
        long norms = 2L * dim;
        return (long) vocabSize * dim + layers * (attention + ffn + norms) + dim;
    }

    /** The shape called {@code name} (case-insensitive), or null. */
    public static SynthShape byName(String name) {
        for (SynthShape s : ALL) {
            if (s.name.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        return null;
    }

    public static List<String> names() {
        return ALL.stream().map(SynthShape::name).toList();
    }
}
