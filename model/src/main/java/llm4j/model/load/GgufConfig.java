package llm4j.model.load;

import java.util.Set;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;

/** Reads {@link ModelConfig} from GGUF metadata keys ({@code <arch>.embedding_length}, ...). */
public final class GgufConfig {

    /** Architectures this forward pass implements (mistral GGUFs usually say "llama"). */
    public static final Set<String> ARCHITECTURES = Set.of("llama", "mistral", "qwen2");

    private GgufConfig() {
    }

    public static ModelConfig read(Metadata md, int vocabFallback) throws ModelFormatException {
        String arch = md.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new ModelFormatException(null, -1, "unsupported architecture '" + arch + "' (llm4j runs "
                    + String.join(", ", ARCHITECTURES.stream().sorted().toList()) + ")");
        }
        int dim = positive(md, arch + ".embedding_length");
        int hidden = positive(md, arch + ".feed_forward_length");
        int layers = positive(md, arch + ".block_count");
        int heads = positive(md, arch + ".attention.head_count");
        int kvHeads = md.getInt(arch + ".attention.head_count_kv", heads);
        if (kvHeads < 1 || heads % kvHeads != 0) {
            throw new ModelFormatException(null, -1, heads + " attention heads cannot be shared by " + kvHeads + " KV heads");
        }
        int headDim = md.getInt(arch + ".attention.key_length", dim / heads);
        if (headDim < 2 || headDim % 2 != 0 || md.getInt(arch + ".attention.value_length", headDim) != headDim) {
            throw new ModelFormatException(null, -1, "unsupported head size " + headDim);
        }
        int vocab = md.getInt(arch + ".vocab_size", vocabFallback);
        int context = md.getInt(arch + ".context_length", 2048);
        float eps = md.getFloat(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        int ropeDim = md.getInt(arch + ".rope.dimension_count", headDim);
        if (ropeDim < 2 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new ModelFormatException(null, -1, "rope dimension " + ropeDim + " does not fit head size " + headDim);
        }
        float base = md.getFloat(arch + ".rope.freq_base", 10000f);
        float scale = 1f;
        String scaling = md.getString(arch + ".rope.scaling.type", "none");
        switch (scaling) {
            case "none" -> { }
            case "linear" -> scale = 1f / md.getFloat(arch + ".rope.scaling.factor", 1f);
            default -> throw new ModelFormatException(null, -1, "unsupported rope scaling '" + scaling + "'");
        }
        if (md.has(arch + ".rope.scale_linear")) {
            scale = 1f / md.getFloat(arch + ".rope.scale_linear");
        }
        RopeStyle style = arch.equals("qwen2") ? RopeStyle.NEOX : RopeStyle.ADJACENT;
        int window = md.getInt(arch + ".attention.sliding_window", 0);
        return new ModelConfig(arch, dim, hidden, layers, heads, kvHeads, headDim, vocab, context, eps,
                style, ropeDim, base, scale, window, arch.equals("qwen2"));
    }

    private static int positive(Metadata md, String key) throws ModelFormatException {
        int v = md.getInt(key);
        if (v < 1) {
            throw new ModelFormatException(null, -1, "metadata " + key + " must be positive, is " + v);
        }
        return v;
    }
}
