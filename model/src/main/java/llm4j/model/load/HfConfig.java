package llm4j.model.load;

import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;

/**
 * Reads {@link ModelConfig} from a Hugging Face {@code config.json}. Hugging Face checkpoints keep Q/K weights
 * unpermuted and rotate the two halves of each head (rotate_half), which is {@link RopeStyle#NEOX}: no weight is
 * rewritten at load.
 */
public final class HfConfig {

    /** Hugging Face model classes llm4j runs, with the architecture each one is. */
    public static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "mistral",
            "Qwen2ForCausalLM", "qwen2");

    private HfConfig() {
    }

    public static ModelConfig read(JsonNode cfg, Path file) throws ModelFormatException {
        String arch = architecture(cfg, file);
        int dim = positive(cfg, "hidden_size", ModelLimits.MAX_EMBEDDING, file);
        int hidden = positive(cfg, "intermediate_size", ModelLimits.MAX_FEED_FORWARD, file);
        int layers = positive(cfg, "num_hidden_layers", ModelLimits.MAX_LAYERS, file);
        int heads = positive(cfg, "num_attention_heads", ModelLimits.MAX_HEADS, file);
        int kvHeads = cfg.hasNonNull("num_key_value_heads") ? positive(cfg, "num_key_value_heads", ModelLimits.MAX_HEADS, file) : heads;
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(file, -1, heads + " attention heads cannot be shared by " + kvHeads + " KV heads");
        }
        int headDim = cfg.hasNonNull("head_dim") ? positive(cfg, "head_dim", ModelLimits.MAX_HEAD_DIM, file) : dim / heads;
        if (headDim < 2 || headDim % 2 != 0) {
            throw new ModelFormatException(file, -1, "unsupported head size " + headDim);
        }
        int vocab = positive(cfg, "vocab_size", ModelLimits.MAX_VOCAB, file);
        int context = cfg.hasNonNull("max_position_embeddings")
                ? positive(cfg, "max_position_embeddings", ModelLimits.MAX_CONTEXT, file) : 2048;
        float eps = (float) cfg.path("rms_norm_eps").asDouble(1e-6);
        float base = (float) cfg.path("rope_theta").asDouble(10000.0);
        if (!(eps > 0 && Float.isFinite(eps)) || !(base > 1 && Float.isFinite(base))) {
            throw new ModelFormatException(file, -1, "rms_norm_eps " + eps + " and rope_theta " + base + " must be positive and finite");
        }
        String act = cfg.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(file, -1, "hidden_act '" + act + "' is not supported (llm4j's feed-forward is SwiGLU: silu)");
        }
        float scale = ropeScale(cfg.get("rope_scaling"), file);
        int window = 0;
        // Qwen2 declares a window but uses it only with use_sliding_window; Mistral uses it whenever it is set
        boolean windowed = arch.equals("mistral") || cfg.path("use_sliding_window").asBoolean(false);
        if (windowed && cfg.path("sliding_window").canConvertToInt() && cfg.path("sliding_window").asInt() > 0) {
            window = cfg.path("sliding_window").asInt();
        }
        boolean bias = arch.equals("qwen2") || cfg.path("attention_bias").asBoolean(false);
        return new ModelConfig(arch, dim, hidden, layers, heads, kvHeads, headDim, vocab, context, eps,
                RopeStyle.NEOX, headDim, base, scale, window, bias);
    }

    /** The architecture of {@code architectures[0]} (or {@code model_type}); unsupported ones are named. */
    static String architecture(JsonNode cfg, Path file) throws ModelFormatException {
        JsonNode list = cfg.path("architectures");
        String cls = list.isArray() && !list.isEmpty() ? list.get(0).asText() : null;
        if (cls != null) {
            String arch = ARCHITECTURES.get(cls);
            if (arch == null) {
                throw new ModelFormatException(file, -1, "unsupported architecture '" + cls + "' (llm4j runs "
                        + String.join(", ", ARCHITECTURES.keySet().stream().sorted().toList()) + ")");
            }
            return arch;
        }
        String type = cfg.path("model_type").asText("");
        if (ARCHITECTURES.containsValue(type)) {
            return type;
        }
        throw new ModelFormatException(file, -1, "unsupported architecture: config.json names no architectures"
                + (type.isEmpty() ? "" : " and model_type '" + type + "' is not llama, mistral or qwen2"));
    }

    private static float ropeScale(JsonNode scaling, Path file) throws ModelFormatException {
        if (scaling == null || scaling.isNull()) {
            return 1f;
        }
        String type = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        return switch (type) {
            case "default" -> 1f;
            case "linear" -> {
                double factor = scaling.path("factor").asDouble(1.0);
                if (!(factor >= ModelLimits.MIN_ROPE_FACTOR && factor <= ModelLimits.MAX_ROPE_FACTOR)) {
                    throw new ModelFormatException(file, -1, "rope_scaling factor " + factor + " is out of range");
                }
                yield (float) (1.0 / factor);
            }
            case "llama3" -> 1f; // per-pair divisors instead: ropeFactors
            default -> throw new ModelFormatException(file, -1, "rope_scaling type '" + type + "' is not supported (llm4j knows linear and llama3)");
        };
    }

    /**
     * The per-pair angle divisors of llama3 RoPE scaling, or null when {@code config.json} asks for none (default and
     * linear scaling live in {@link ModelConfig#ropeScale()}).
     */
    public static float[] ropeFactors(JsonNode cfg, ModelConfig c, Path file) throws ModelFormatException {
        JsonNode scaling = cfg.get("rope_scaling");
        if (scaling == null || scaling.isNull()
                || !scaling.path("rope_type").asText(scaling.path("type").asText("")).equals("llama3")) {
            return null;
        }
        Llama3RopeScaling llama3 = Llama3RopeScaling.of(scaling);
        String problem = llama3.problem();
        if (problem != null) {
            throw new ModelFormatException(file, -1, problem);
        }
        return llama3.divisors(c.ropeBase(), c.ropeDim());
    }

    private static int positive(JsonNode cfg, String key, int max, Path file) throws ModelFormatException {
        JsonNode v = cfg.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1 || v.asInt() > max) {
            throw new ModelFormatException(file, -1, key + " must be an integer from 1 to " + max + ", is " + v);
        }
        return v.asInt();
    }
}
