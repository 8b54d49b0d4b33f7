package llm4j.model.tokenizer;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Builds a tokenizer from a Hugging Face {@code tokenizer.json} (BPE models only): byte-level BPE (GPT-2, Llama 3,
 * Qwen2, SmolLM) or SentencePiece-style BPE (Llama 2, Mistral), with added tokens, the post-processor's BOS/EOS and
 * the decoder, so that token ids equal those of the {@code tokenizers} library.
 */
public final class HfTokenizers {

    /**
     * What the files beside tokenizer.json say about special tokens.
     *
     * @param bosText        tokenizer_config.json's bos_token, or null
     * @param eosText        its eos_token, or null
     * @param padText        its pad_token, or null
     * @param bosId          config.json's bos_token_id, or -1
     * @param eosIds         end-of-generation ids from config.json and generation_config.json
     * @param addBosFallback tokenizer_config.json's add_bos_token, used when tokenizer.json has no post-processor
     */
    public record Hints(String bosText, String eosText, String padText, int bosId, Set<Integer> eosIds,
                        boolean addBosFallback) {

        public Hints {
            eosIds = Set.copyOf(eosIds);
        }

        public static final Hints NONE = new Hints(null, null, null, -1, Set.of(), false);
    }

    private HfTokenizers() {
    }

    /**
     * @param minVocabulary the model's vocabulary size: ids the tokenizer does not define up to it become unused
     *                      placeholders, as embedding matrices are often padded
     * @throws HfTokenizerException for a tokenizer llm4j cannot reproduce
     */
    public static Tokenizer fromJson(JsonNode root, Hints hints, int minVocabulary) {
        JsonNode model = root.path("model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new HfTokenizerException("tokenizer.json model type '" + type + "' is not supported (llm4j reads BPE)");
        }
        if (!model.path("continuing_subword_prefix").asText("").isEmpty() || !model.path("end_of_word_suffix").asText("").isEmpty()) {
            throw new HfTokenizerException("tokenizer.json BPE with a subword prefix or word suffix is not supported");
        }
        if (model.path("dropout").isNumber() && model.path("dropout").asDouble() > 0) {
            throw new HfTokenizerException("tokenizer.json BPE dropout makes tokenization random; llm4j needs dropout null");
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        Vocabulary vocabulary = vocabulary(root, model, byteFallback, minVocabulary);
        String[] merges = merges(model.path("merges"));
        HfNormalizer normalizer = HfNormalizer.parse(root.get("normalizer"));
        HfPreTokenizer preTokenizer = HfPreTokenizer.parse(root.get("pre_tokenizer"));
        HfDecoder decoder = HfDecoder.parse(root.get("decoder"));
        SpecialTokens special = specialTokens(root, model, vocabulary, hints);
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        if (preTokenizer.byteLevel()) {
            if (!decoder.byteLevel()) {
                throw new HfTokenizerException("tokenizer.json pre-tokenizes byte-level but its decoder is not ByteLevel");
            }
            return new Gpt2BpeTokenizer(vocabulary, merges,
                    text -> preTokenizer.split(normalizer.apply(text, true), true), ignoreMerges, special);
        }
        return new HfBpeTokenizer(vocabulary, special, merges, normalizer, preTokenizer, decoder, ignoreMerges,
                byteFallback, model.path("fuse_unk").asBoolean(false), prefixAfter(root, vocabulary, normalizer, preTokenizer));
    }

    /** Ids from model.vocab and added_tokens; types from how each token is declared. */
    private static Vocabulary vocabulary(JsonNode root, JsonNode model, boolean byteFallback, int minSize) {
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new HfTokenizerException("tokenizer.json has no model.vocab");
        }
        int size = minSize;
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            size = Math.max(size, checkedId(e.getValue(), e.getKey()) + 1);
        }
        for (JsonNode added : root.path("added_tokens")) {
            size = Math.max(size, checkedId(added.path("id"), added.path("content").asText()) + 1);
        }
        String[] texts = new String[size];
        TokenType[] types = new TokenType[size];
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            int id = e.getValue().asInt();
            texts[id] = e.getKey();
            types[id] = byteFallback && isByteToken(e.getKey()) ? TokenType.BYTE : TokenType.NORMAL;
        }
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt();
            String content = added.path("content").asText();
            texts[id] = content;
            boolean special = added.path("special").asBoolean(false);
            types[id] = content.equals(unk) ? TokenType.UNKNOWN : special ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (texts[id] == null) {
                texts[id] = "[unused " + id + "]"; // a padded embedding row no text maps to
                types[id] = TokenType.UNUSED;
            }
        }
        if (unk != null) {
            for (int id = 0; id < size; id++) {
                if (texts[id].equals(unk) && types[id] == TokenType.NORMAL) {
                    types[id] = TokenType.UNKNOWN;
                }
            }
        }
        return new Vocabulary(texts, null, types);
    }

    private static int checkedId(JsonNode id, String token) {
        if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() > 16_000_000) {
            throw new HfTokenizerException("tokenizer.json gives token '" + token + "' the id " + id);
        }
        return id.asInt();
    }

    static boolean isByteToken(String text) {
        return text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")
                && Character.digit(text.charAt(3), 16) >= 0 && Character.digit(text.charAt(4), 16) >= 0;
    }

    /** "left right" lines, from either the string form or the newer [left, right] pairs. */
    private static String[] merges(JsonNode node) {
        String[] out = new String[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode m = node.get(i);
            out[i] = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
        }
        return out;
    }

    /**
     * Whether the text after each added token gets the Prepend/Metaspace prefix again. Hugging Face cuts out
     * non-normalized added tokens before normalizing, so the text after them is normalized (and prefixed) on its
     * own; normalized ones are matched after normalization, inside already-prefixed text. Metaspace with
     * prepend_scheme "first" prefixes the input's first segment only.
     */
    private static boolean[] prefixAfter(JsonNode root, Vocabulary vocabulary, HfNormalizer normalizer,
                                         HfPreTokenizer preTokenizer) {
        boolean[] after = new boolean[vocabulary.size()];
        if (!normalizer.prepends()) {
            return preTokenizer.isEmpty() ? null : metaspaceAlways(root.get("pre_tokenizer")) ? filled(after) : null;
        }
        for (JsonNode added : root.path("added_tokens")) {
            after[added.path("id").asInt()] = !added.path("normalized").asBoolean(!added.path("special").asBoolean(false));
        }
        return after;
    }

    private static boolean metaspaceAlways(JsonNode node) {
        if (node == null) {
            return false;
        }
        if (node.path("type").asText().equals("Metaspace")) {
            return node.has("prepend_scheme") ? node.path("prepend_scheme").asText().equals("always")
                    : node.path("add_prefix_space").asBoolean(true);
        }
        for (JsonNode n : node.path("pretokenizers")) {
            if (metaspaceAlways(n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean[] filled(boolean[] a) {
        Arrays.fill(a, true);
        return a;
    }

    private static SpecialTokens specialTokens(JsonNode root, JsonNode model, Vocabulary vocabulary, Hints hints) {
        int[] template = templateSpecials(root.get("post_processor"));
        boolean hasProcessor = root.hasNonNull("post_processor");
        int bos = firstValid(vocabulary, idOf(vocabulary, hints.bosText()), template[0], hints.bosId());
        int eos = firstValid(vocabulary, idOf(vocabulary, hints.eosText()), template[1],
                hints.eosIds().stream().mapToInt(Integer::intValue).min().orElse(-1));
        int unknown = idOf(vocabulary, model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null);
        int padding = idOf(vocabulary, hints.padText());
        boolean addBos = hasProcessor ? template[0] >= 0 : hints.addBosFallback() && bos >= 0;
        if (addBos && template[0] >= 0) {
            bos = template[0]; // the post-processor adds exactly this token
        }
        boolean addEos = template[1] >= 0;
        if (addEos) {
            eos = template[1];
        }
        Set<Integer> endOfGeneration = new HashSet<>();
        if (eos >= 0) {
            endOfGeneration.add(eos);
        }
        for (int id : hints.eosIds()) {
            if (vocabulary.contains(id)) {
                endOfGeneration.add(id);
            }
        }
        for (String text : Tokenizers.END_OF_GENERATION_TEXTS) {
            int id = vocabulary.idOf(text);
            if (id >= 0 && vocabulary.type(id) == TokenType.CONTROL) {
                endOfGeneration.add(id);
            }
        }
        return new SpecialTokens(bos, eos, unknown, padding, endOfGeneration, addBos, addEos);
    }

    private static int idOf(Vocabulary vocabulary, String text) {
        return text == null ? -1 : vocabulary.idOf(text);
    }

    private static int firstValid(Vocabulary vocabulary, int... ids) {
        for (int id : ids) {
            if (vocabulary.contains(id)) {
                return id;
            }
        }
        return SpecialTokens.NONE;
    }

    /**
     * The special tokens a TemplateProcessing post-processor puts before and after a single sequence: {bos, eos},
     * -1 where there is none. Other post-processors (ByteLevel) add nothing.
     */
    private static int[] templateSpecials(JsonNode processor) {
        int[] out = {-1, -1};
        if (processor == null || processor.isNull()) {
            return out;
        }
        String type = processor.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode p : processor.path("processors")) {
                    int[] inner = templateSpecials(p);
                    out[0] = Math.max(out[0], inner[0]);
                    out[1] = Math.max(out[1], inner[1]);
                }
            }
            case "TemplateProcessing" -> {
                List<JsonNode> single = new java.util.ArrayList<>();
                processor.path("single").forEach(single::add);
                JsonNode specials = processor.path("special_tokens");
                int sequence = -1;
                for (int i = 0; i < single.size(); i++) {
                    if (single.get(i).has("Sequence")) {
                        sequence = i;
                    }
                }
                if (sequence < 0) {
                    throw new HfTokenizerException("tokenizer.json TemplateProcessing has no sequence in its single template");
                }
                if (sequence > 1 || single.size() - sequence > 2) {
                    throw new HfTokenizerException("tokenizer.json TemplateProcessing adds more than one token on a side");
                }
                if (sequence == 1) {
                    out[0] = specialId(specials, single.get(0));
                }
                if (sequence + 1 < single.size()) {
                    out[1] = specialId(specials, single.get(sequence + 1));
                }
            }
            case "ByteLevel" -> { }
            default -> throw new HfTokenizerException("tokenizer.json post-processor '" + type + "' is not supported"
                    + " (llm4j knows TemplateProcessing, ByteLevel and Sequence)");
        }
        return out;
    }

    private static int specialId(JsonNode specials, JsonNode piece) {
        String name = piece.path("SpecialToken").path("id").asText();
        JsonNode ids = specials.path(name).path("ids");
        if (ids.size() != 1) {
            throw new HfTokenizerException("tokenizer.json template token '" + name + "' is not exactly one id");
        }
        return ids.get(0).asInt();
    }
}
