package llm4j.model.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.MetadataValue;
import llm4j.loader.ValueType;

/**
 * GGUF {@code tokenizer.*} keys for a tokenizer built from tokenizer.json: the ggml keys other runners read
 * (model, tokens, types, merges, special ids; SentencePiece scores can only approximate a rank-merged BPE, so
 * they are -id) plus {@code tokenizer.huggingface.json}, from which llm4j rebuilds the exact tokenizer.
 */
public final class TokenizerMetadata {

    private TokenizerMetadata() {
    }

    public static Map<String, MetadataValue> of(Tokenizer tokenizer, JsonNode tokenizerJson) {
        if (!(tokenizer instanceof VocabularyTokenizer t)) {
            throw new IllegalArgumentException("not a vocabulary tokenizer: " + tokenizer.getClass());
        }
        Vocabulary v = t.vocabulary();
        SpecialTokens s = t.specialTokens();
        boolean byteLevel = t instanceof Gpt2BpeTokenizer;
        String[] tokens = new String[v.size()];
        float[] scores = new float[v.size()];
        long[] types = new long[v.size()];
        for (int id = 0; id < v.size(); id++) {
            tokens[id] = v.text(id);
            scores[id] = -id;
            types[id] = v.type(id).code();
        }
        JsonNode mergeNodes = tokenizerJson.path("model").path("merges");
        String[] merges = new String[mergeNodes.size()];
        for (int i = 0; i < merges.length; i++) {
            JsonNode m = mergeNodes.get(i);
            merges[i] = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
        }
        Map<String, MetadataValue> out = new LinkedHashMap<>();
        out.put(Tokenizers.MODEL, MetadataValue.of(ValueType.STRING, byteLevel ? "gpt2" : "llama"));
        if (byteLevel) {
            out.put(Tokenizers.PRE, MetadataValue.of(ValueType.STRING, "default"));
        }
        out.put(Tokenizers.TOKENS, MetadataValue.array(ValueType.STRING, tokens));
        if (!byteLevel) {
            out.put(Tokenizers.SCORES, MetadataValue.array(ValueType.FLOAT32, scores));
        }
        out.put(Tokenizers.TOKEN_TYPES, MetadataValue.array(ValueType.INT32, types));
        out.put(Tokenizers.MERGES, MetadataValue.array(ValueType.STRING, merges));
        putId(out, Tokenizers.BOS, s.bos());
        putId(out, Tokenizers.EOS, s.eos());
        putId(out, Tokenizers.UNKNOWN, s.unknown());
        putId(out, Tokenizers.PADDING, s.padding());
        out.put(Tokenizers.ADD_BOS, MetadataValue.of(ValueType.BOOL, s.addBos()));
        out.put(Tokenizers.ADD_EOS, MetadataValue.of(ValueType.BOOL, s.addEos()));
        out.put(Tokenizers.HF_JSON, MetadataValue.of(ValueType.STRING, tokenizerJson.toString()));
        return out;
    }

    private static void putId(Map<String, MetadataValue> out, String key, int id) {
        if (id >= 0) {
            out.put(key, MetadataValue.of(ValueType.UINT32, (long) id));
        }
    }
}
