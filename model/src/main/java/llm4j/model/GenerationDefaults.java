package llm4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.Metadata;
import llm4j.loader.ModelFormatException;

/**
 * Sampling settings a model ships with (Hugging Face {@code generation_config.json}, GGUF {@code general.sampling.*}):
 * each is null when the model does not say. Callers decide whether they override their own defaults.
 *
 * @param temperature 0 for greedy decoding (generation_config's {@code do_sample: false})
 */
public record GenerationDefaults(Float temperature, Integer topK, Float topP, Float minP, Float repeatPenalty) {

    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null, null);

    public static GenerationDefaults fromGenerationConfig(JsonNode g) {
        if (g == null) {
            return NONE;
        }
        Float temperature = g.has("do_sample") && !g.path("do_sample").asBoolean() ? Float.valueOf(0f) : floatOf(g, "temperature");
        return new GenerationDefaults(temperature, g.path("top_k").canConvertToInt() ? g.path("top_k").asInt() : null,
                floatOf(g, "top_p"), floatOf(g, "min_p"), floatOf(g, "repetition_penalty"));
    }

    /** The keys llama.cpp's converter writes from generation_config.json. */
    public static GenerationDefaults fromMetadata(Metadata md) throws ModelFormatException {
        return new GenerationDefaults(
                md.has("general.sampling.temp") ? md.getFloat("general.sampling.temp") : null,
                md.has("general.sampling.top_k") ? md.getInt("general.sampling.top_k") : null,
                md.has("general.sampling.top_p") ? md.getFloat("general.sampling.top_p") : null,
                md.has("general.sampling.min_p") ? md.getFloat("general.sampling.min_p") : null,
                md.has("general.sampling.penalty_repeat") ? md.getFloat("general.sampling.penalty_repeat") : null);
    }

    private static Float floatOf(JsonNode g, String key) {
        return g.path(key).isNumber() ? (float) g.path(key).asDouble() : null;
    }
}
