package llm4j.model.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;
import llm4j.testdata.SharedData;

/** The tokenizers of the shared models, built once per test run through {@link Tokenizers#fromMetadata}. */
final class TokenizerFixtures {

    private static final Map<String, Tokenizer> LOADED = new HashMap<>();

    private TokenizerFixtures() {
    }

    /** stories260K: 512-token SentencePiece. */
    static Tokenizer stories260k() {
        return fromGguf("gguf/stories260K.gguf");
    }

    /** llama-2-tiny-random: the full 32000-token Llama-2 SentencePiece vocabulary. */
    static Tokenizer llama2() {
        return fromGguf("gguf/llama-2-tiny-random.gguf");
    }

    /** SmolLM2-135M-Instruct's byte-level BPE, converted from tokenizer.json the way llama.cpp's converter does. */
    static Tokenizer smollm2() {
        synchronized (LOADED) {
            return LOADED.computeIfAbsent("smollm2", k -> {
                try {
                    return Tokenizers.fromMetadata(smollm2Metadata());
                } catch (ModelFormatException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    private static Tokenizer fromGguf(String model) {
        synchronized (LOADED) {
            return LOADED.computeIfAbsent(model, k -> {
                try (ModelFile file = ModelFiles.open(SharedData.model(model))) {
                    return Tokenizers.fromMetadata(file.metadata());
                } catch (ModelFormatException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /**
     * GGUF-style metadata for SmolLM2 from its tokenizer.json: tokens by id, merges as "left right" lines, added
     * tokens typed CONTROL when special and USER_DEFINED otherwise, pre-tokenizer "smollm", BOS/EOS from
     * config.json; no add_bos key, as in the converter's output for this model.
     */
    static synchronized Metadata smollm2Metadata() {
        if (smollm2Metadata == null) {
            smollm2Metadata = readSmollm2Metadata();
        }
        return smollm2Metadata;
    }

    private static Metadata smollm2Metadata;

    private static Metadata readSmollm2Metadata() {
        Path dir = SharedData.root().resolve("models/tokenizers/smollm2-135m-instruct");
        ObjectMapper json = new ObjectMapper();
        try {
            JsonNode tokenizer = json.readTree(SharedData.file("models/tokenizers/smollm2-135m-instruct/tokenizer.json").toFile());
            JsonNode config = json.readTree(dir.resolve("config.json").toFile());
            JsonNode vocab = tokenizer.get("model").get("vocab");
            String[] tokens = new String[vocab.size()];
            long[] types = new long[tokens.length];
            vocab.properties().forEach(e -> tokens[e.getValue().asInt()] = e.getKey());
            java.util.Arrays.fill(types, TokenType.NORMAL.code());
            for (JsonNode added : tokenizer.get("added_tokens")) {
                int id = added.get("id").asInt();
                tokens[id] = added.get("content").asText();
                types[id] = (added.get("special").asBoolean() ? TokenType.CONTROL : TokenType.USER_DEFINED).code();
            }
            JsonNode mergeNodes = tokenizer.get("model").get("merges");
            String[] merges = new String[mergeNodes.size()];
            for (int i = 0; i < merges.length; i++) {
                JsonNode m = mergeNodes.get(i);
                merges[i] = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
            }
            Map<String, MetadataValue> kv = new LinkedHashMap<>();
            kv.put(Tokenizers.MODEL, MetadataValue.of(ValueType.STRING, "gpt2"));
            kv.put(Tokenizers.PRE, MetadataValue.of(ValueType.STRING, "smollm"));
            kv.put(Tokenizers.TOKENS, MetadataValue.array(ValueType.STRING, tokens));
            kv.put(Tokenizers.TOKEN_TYPES, MetadataValue.array(ValueType.INT32, types));
            kv.put(Tokenizers.MERGES, MetadataValue.array(ValueType.STRING, merges));
            kv.put(Tokenizers.BOS, MetadataValue.of(ValueType.UINT32, config.get("bos_token_id").asLong()));
            kv.put(Tokenizers.EOS, MetadataValue.of(ValueType.UINT32, config.get("eos_token_id").asLong()));
            kv.put(Tokenizers.PADDING, MetadataValue.of(ValueType.UINT32, config.get("pad_token_id").asLong()));
            return new Metadata(dir.resolve("tokenizer.json"), kv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
