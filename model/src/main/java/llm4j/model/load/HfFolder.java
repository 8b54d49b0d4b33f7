package llm4j.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.loader.ModelFormatException;
import llm4j.model.tokenizer.HfTokenizerException;
import llm4j.model.tokenizer.HfTokenizers;
import llm4j.model.tokenizer.Tokenizer;

/**
 * The JSON files of a Hugging Face model folder: {@code config.json} and {@code tokenizer.json} (required),
 * {@code generation_config.json} and {@code tokenizer_config.json} (optional).
 */
public record HfFolder(Path dir, JsonNode config, JsonNode tokenizer, JsonNode generationConfig, JsonNode tokenizerConfig) {

    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public static HfFolder read(Path dir) throws ModelFormatException {
        return new HfFolder(dir, required(dir, CONFIG), required(dir, TOKENIZER), optional(dir, GENERATION_CONFIG),
                optional(dir, TOKENIZER_CONFIG));
    }

    private static JsonNode required(Path dir, String name) throws ModelFormatException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(dir, -1, name + " is missing (a Hugging Face model folder needs "
                    + CONFIG + " and " + TOKENIZER + " beside the weights)");
        }
        return parse(file);
    }

    private static JsonNode optional(Path dir, String name) throws ModelFormatException {
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? parse(file) : null;
    }

    private static JsonNode parse(Path file) throws ModelFormatException {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(file, -1, "is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelFormatException(file, -1, "is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** The tokenizer of tokenizer.json, with special tokens completed from the other files. */
    public Tokenizer tokenizer(int vocabSize) throws ModelFormatException {
        try {
            return HfTokenizers.fromJson(tokenizer, hints(), vocabSize);
        } catch (HfTokenizerException | IllegalArgumentException e) {
            throw new ModelFormatException(dir.resolve(TOKENIZER), -1, e.getMessage());
        }
    }

    /** What config.json, generation_config.json and tokenizer_config.json say about special tokens. */
    public HfTokenizers.Hints hints() {
        Set<Integer> eos = new HashSet<>();
        addIds(config.get("eos_token_id"), eos);
        if (generationConfig != null) {
            addIds(generationConfig.get("eos_token_id"), eos);
        }
        int bos = config.path("bos_token_id").asInt(-1);
        if (generationConfig != null && generationConfig.path("bos_token_id").canConvertToInt()) {
            bos = generationConfig.path("bos_token_id").asInt();
        }
        JsonNode tc = tokenizerConfig;
        return new HfTokenizers.Hints(tokenText(tc, "bos_token"), tokenText(tc, "eos_token"), tokenText(tc, "pad_token"),
                bos, eos, tc != null && tc.path("add_bos_token").asBoolean(false));
    }

    private static void addIds(JsonNode node, Set<Integer> out) {
        if (node == null) {
            return;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asInt()));
        } else if (node.canConvertToInt()) {
            out.add(node.asInt());
        }
    }

    /** A special token in tokenizer_config.json: a string, or an AddedToken object with its content. */
    private static String tokenText(JsonNode tc, String key) {
        if (tc == null || tc.get(key) == null || tc.get(key).isNull()) {
            return null;
        }
        JsonNode v = tc.get(key);
        return v.isTextual() ? v.asText() : v.path("content").asText(null);
    }

    /** tokenizer_config.json's chat template: a string, or the one named "default" in a list of named templates. */
    public Optional<String> chatTemplate() {
        JsonNode t = tokenizerConfig == null ? null : tokenizerConfig.get("chat_template");
        if (t == null || t.isNull()) {
            return Optional.empty();
        }
        if (t.isTextual()) {
            return Optional.of(t.asText());
        }
        for (JsonNode named : t) {
            if (named.path("name").asText().equals("default")) {
                return Optional.of(named.path("template").asText());
            }
        }
        return Optional.empty();
    }
}
