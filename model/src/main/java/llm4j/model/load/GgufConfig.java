package llm4j.model.load;

import static llm4j.model.load.ModelLimits.MAX_CONTEXT;
import static llm4j.model.load.ModelLimits.MAX_EMBEDDING;
import static llm4j.model.load.ModelLimits.MAX_FEED_FORWARD;
import static llm4j.model.load.ModelLimits.MAX_HEADS;
import static llm4j.model.load.ModelLimits.MAX_HEAD_DIM;
import static llm4j.model.load.ModelLimits.MAX_LAYERS;
import static llm4j.model.load.ModelLimits.MAX_ROPE_FACTOR;
import static llm4j.model.load.ModelLimits.MAX_VOCAB;
import static llm4j.model.load.ModelLimits.MIN_ROPE_FACTOR;

import java.util.Set;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;

/**
 * Reads {@link ModelConfig} from GGUF metadata keys ({@code <arch>.embedding_length}, ...). Every
 * value is checked against {@link ModelLimits} and against the others (heads sharing KV heads,
 * rope inside the head) so that a configuration this returns can be sized and run; errors name the
 * file, the key's offset and the key.
 */
public final class GgufConfig {

    /** Architectures this forward pass implements (mistral GGUFs usually say "llama"). */
    public static final Set<String> ARCHITECTURES = Set.of("llama", "mistral", "qwen2");

    private GgufConfig() {
    }

    /**
     * @param tokenizerVocab the number of tokens of the file's tokenizer. The model's vocabulary is
     *                       that size, as in llama.cpp; a {@code <arch>.vocab_size} key that disagrees
     *                       is an error, since token ids past the embedding's rows (or logits past the
     *                       tokenizer's tokens) cannot be used. Without a tokenizer (0) the key decides.
     */
    public static ModelConfig read(Metadata md, int tokenizerVocab) throws ModelFormatException {
        String arch = md.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw md.error("general.architecture", "unsupported architecture '" + arch + "' (llm4j runs "
                    + String.join(", ", ARCHITECTURES.stream().sorted().toList()) + ")");
        }
        String p = arch + ".";
        int dim = bounded(md, p + "embedding_length", 1, MAX_EMBEDDING);
        int hidden = bounded(md, p + "feed_forward_length", 1, MAX_FEED_FORWARD);
        int layers = bounded(md, p + "block_count", 1, MAX_LAYERS);
        int heads = bounded(md, p + "attention.head_count", 1, MAX_HEADS);
        int kvHeads = md.has(p + "attention.head_count_kv") ? bounded(md, p + "attention.head_count_kv", 1, heads) : heads;
        if (heads % kvHeads != 0) {
            throw md.error(p + "attention.head_count_kv", heads + " attention heads (" + p + "attention.head_count) cannot be shared by "
                    + kvHeads + " KV heads (" + p + "attention.head_count_kv)");
        }
        int headDim = headDim(md, p, dim, heads);
        // heads <= 2^12 and headDim <= 2^12: the products are exact in int
        if (heads * headDim > MAX_EMBEDDING) {
            throw md.error(p + "attention.key_length", heads + " heads of " + headDim + " (" + p
                    + "attention.key_length) are wider than the limit of " + MAX_EMBEDDING);
        }
        int vocab = vocab(md, p, tokenizerVocab);
        int context = md.has(p + "context_length") ? bounded(md, p + "context_length", 1, MAX_CONTEXT) : 2048;
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        if (!(eps > 0f && eps <= 1f)) { // also false for NaN
            throw md.error(p + "attention.layer_norm_rms_epsilon",
                    p + "attention.layer_norm_rms_epsilon " + eps + " is not in (0, 1]");
        }
        int ropeDim = md.has(p + "rope.dimension_count") ? bounded(md, p + "rope.dimension_count", 2, headDim) : headDim;
        if (ropeDim % 2 != 0) {
            throw md.error(p + "rope.dimension_count", p + "rope.dimension_count " + ropeDim
                    + " is odd; rope rotates pairs");
        }
        float base = md.getFloat(p + "rope.freq_base", 10000f);
        // below 1 the per-pair frequencies grow geometrically and the angles overflow to infinity
        if (!(base >= 1f && Float.isFinite(base))) {
            throw md.error(p + "rope.freq_base", p + "rope.freq_base " + base + " is not a finite number >= 1");
        }
        float scale = ropeScale(md, p);
        RopeStyle style = arch.equals("qwen2") ? RopeStyle.NEOX : RopeStyle.ADJACENT;
        int window = md.getInt(p + "attention.sliding_window", 0);
        return new ModelConfig(arch, dim, hidden, layers, heads, kvHeads, headDim, vocab, context, eps,
                style, ropeDim, base, scale, window, arch.equals("qwen2"));
    }

    private static int headDim(Metadata md, String p, int dim, int heads) throws ModelFormatException {
        String key = p + "attention.key_length";
        int headDim = md.has(key) ? bounded(md, key, 2, MAX_HEAD_DIM) : dim / heads;
        if (headDim < 2 || headDim % 2 != 0) {
            throw md.error(key, "unsupported head size " + headDim + " (" + key + ", or "
                    + p + "embedding_length / " + p + "attention.head_count)");
        }
        String valueKey = p + "attention.value_length";
        if (md.has(valueKey) && md.getInt(valueKey) != headDim) {
            throw md.error(valueKey, valueKey + " " + md.getInt(valueKey) + " differs from the key size " + headDim
                    + "; llm4j needs them equal");
        }
        return headDim;
    }

    private static int vocab(Metadata md, String p, int tokenizerVocab) throws ModelFormatException {
        String key = p + "vocab_size";
        if (md.has(key)) {
            int declared = bounded(md, key, 1, MAX_VOCAB);
            if (tokenizerVocab > 0 && declared != tokenizerVocab) {
                throw md.error(key, key + " " + declared + " differs from the tokenizer's " + tokenizerVocab + " tokens");
            }
            return declared;
        }
        if (tokenizerVocab < 1 || tokenizerVocab > MAX_VOCAB) {
            throw new ModelFormatException(md.file(), -1, "vocabulary size " + tokenizerVocab + " (from " + key
                    + " or the tokenizer's token list) is not in 1.." + MAX_VOCAB);
        }
        return tokenizerVocab;
    }

    /** Positions are multiplied by this: 1 / the linear scaling factor, 1 without scaling. */
    private static float ropeScale(Metadata md, String p) throws ModelFormatException {
        float scale = 1f;
        String type = md.getString(p + "rope.scaling.type", "none");
        switch (type) {
            case "none" -> { }
            case "linear" -> scale = 1f / ropeFactor(md, p + "rope.scaling.factor");
            default -> throw md.error(p + "rope.scaling.type", "unsupported rope scaling '" + type + "'");
        }
        if (md.has(p + "rope.scale_linear")) {
            scale = 1f / ropeFactor(md, p + "rope.scale_linear");
        }
        return scale;
    }

    private static float ropeFactor(Metadata md, String key) throws ModelFormatException {
        float factor = md.getFloat(key, 1f);
        if (!(factor >= MIN_ROPE_FACTOR && factor <= MAX_ROPE_FACTOR)) {
            throw md.error(key, key + " " + factor + " is not in [" + MIN_ROPE_FACTOR + ", " + MAX_ROPE_FACTOR + "]");
        }
        return factor;
    }

    /** An integer key that must lie in {@code [min, max]}, named in the error when it does not. */
    private static int bounded(Metadata md, String key, int min, int max) throws ModelFormatException {
        int v = md.getInt(key);
        if (v < min || v > max) {
            throw md.error(key, "metadata " + key + " = " + v + " is not in " + min + ".." + max);
        }
        return v;
    }
}
