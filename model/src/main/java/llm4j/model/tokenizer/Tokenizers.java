package llm4j.model.tokenizer;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFormatException;

/**
 * Builds the tokenizer a model file describes, with llama.cpp's defaults for keys the file leaves out.
 */
public final class Tokenizers {

    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPES = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String EOT = "tokenizer.ggml.eot_token_id";
    static final String EOM = "tokenizer.ggml.eom_token_id";
    static final String UNKNOWN = "tokenizer.ggml.unknown_token_id";
    static final String PADDING = "tokenizer.ggml.padding_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    /** GGUF's key for the whole tokenizer.json, for runners that implement Hugging Face tokenizers directly. */
    public static final String HF_JSON = "tokenizer.huggingface.json";

    /**
     * Token texts llama.cpp treats as end of generation (and as control tokens) whatever the file says: chat models
     * often store their end-of-turn marker as an ordinary token.
     */
    static final List<String> END_OF_GENERATION_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
            "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>");

    private Tokenizers() {
    }

    /** The tokenizer of a model's metadata; throws for a tokenizer model or pre-tokenizer llm4j does not support. */
    public static Tokenizer fromMetadata(Metadata metadata) throws ModelFormatException {
        if (metadata.has(HF_JSON)) {
            return huggingFace(metadata);
        }
        String model = metadata.getString(MODEL);
        return switch (model) {
            case "llama" -> sentencePiece(metadata);
            case "gpt2" -> bytePairs(metadata);
            default -> throw metadata.error(MODEL, MODEL + " = '" + model
                    + "' is not supported (llm4j knows 'llama' = SentencePiece and 'gpt2' = byte-level BPE)");
        };
    }

    /**
     * The exact tokenizer.json a Hugging Face model was converted with (llm4j writes it beside the ggml keys, which
     * can only approximate a BPE that merges by rank): special ids come from the ggml keys.
     */
    private static Tokenizer huggingFace(Metadata metadata) throws ModelFormatException {
        try {
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(metadata.getString(HF_JSON));
            Set<Integer> eos = new HashSet<>();
            if (metadata.has(EOS)) {
                eos.add((int) metadata.getLong(EOS));
            }
            if (metadata.has(EOT)) {
                eos.add((int) metadata.getLong(EOT));
            }
            int bos = metadata.has(BOS) ? (int) metadata.getLong(BOS) : -1;
            int size = metadata.has(TOKENS) ? metadata.getStringArray(TOKENS).length : 0;
            HfTokenizers.Hints hints = new HfTokenizers.Hints(null, null, null, bos, eos, metadata.getBool(ADD_BOS, false));
            return HfTokenizers.fromJson(json, hints, size);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(metadata.file(), metadata.offsetOf(HF_JSON), HF_JSON + " is not valid JSON: " + e.getOriginalMessage());
        } catch (HfTokenizerException | IllegalArgumentException e) {
            throw new ModelFormatException(metadata.file(), metadata.offsetOf(HF_JSON), HF_JSON + ": " + e.getMessage());
        }
    }

    private static SentencePieceTokenizer sentencePiece(Metadata metadata) throws ModelFormatException {
        Vocabulary vocabulary = vocabulary(metadata);
        // SentencePiece's own conventions: <unk> = 0, <s> = 1, </s> = 2, BOS added
        SpecialTokens special = specialTokens(metadata, vocabulary, new Defaults(1, 2, 0, true));
        return new SentencePieceTokenizer(vocabulary, special, metadata.getBool(ADD_SPACE_PREFIX, true));
    }

    private static Gpt2BpeTokenizer bytePairs(Metadata metadata) throws ModelFormatException {
        String pre = metadata.getString(PRE, "");
        BpePreTokenizer preTokenizer = BpePreTokenizer.named(pre).orElseThrow(() -> metadata.error(PRE, PRE + " = '" + pre
                + "' is not supported (llm4j knows default, gpt-2, llama3/llama-bpe, qwen2 and smollm)"));
        Vocabulary vocabulary = vocabulary(metadata);
        // llama.cpp's BPE default for both really is id 11; converted files nearly always set them
        SpecialTokens special = specialTokens(metadata, vocabulary,
                new Defaults(11, 11, SpecialTokens.NONE, preTokenizer.addsBosByDefault()));
        return new Gpt2BpeTokenizer(vocabulary, metadata.getStringArray(MERGES), preTokenizer, special,
                metadata.getBool(ADD_SPACE_PREFIX, false));
    }

    /** What llama.cpp assumes for a tokenizer model when the file omits the keys. */
    private record Defaults(int bos, int eos, int unknown, boolean addBos) {
    }

    /**
     * The vocabulary, with end-of-generation tokens retyped as CONTROL the way llama.cpp does: they then vanish
     * from output and are recognised in input only with special parsing.
     */
    private static Vocabulary vocabulary(Metadata metadata) throws ModelFormatException {
        String[] texts = metadata.getStringArray(TOKENS);
        float[] scores = metadata.has(SCORES) ? metadata.getFloatArray(SCORES) : null;
        TokenType[] types = new TokenType[texts.length];
        Arrays.fill(types, TokenType.NORMAL); // llama.cpp's type for every token when the file has no types
        if (metadata.has(TOKEN_TYPES)) {
            int[] codes = metadata.getIntArray(TOKEN_TYPES);
            if (codes.length != texts.length) {
                throw metadata.error(TOKEN_TYPES, TOKEN_TYPES + " has " + codes.length + " entries for " + texts.length + " tokens");
            }
            for (int i = 0; i < codes.length; i++) {
                types[i] = TokenType.fromCode(codes[i]);
            }
        }
        Set<String> endOfGeneration = Set.copyOf(END_OF_GENERATION_TEXTS);
        for (int i = 0; i < texts.length; i++) {
            if (endOfGeneration.contains(texts[i])) {
                types[i] = TokenType.CONTROL;
            }
        }
        try {
            return new Vocabulary(texts, scores, types);
        } catch (IllegalArgumentException e) {
            throw metadata.error(TOKENS, e.getMessage());
        }
    }

    private static SpecialTokens specialTokens(Metadata metadata, Vocabulary vocabulary, Defaults defaults)
            throws ModelFormatException {
        int bos = tokenId(metadata, BOS, vocabulary, defaults.bos());
        int eos = tokenId(metadata, EOS, vocabulary, defaults.eos());
        int unknown = tokenId(metadata, UNKNOWN, vocabulary, defaults.unknown());
        int padding = tokenId(metadata, PADDING, vocabulary, SpecialTokens.NONE);
        Set<Integer> endOfGeneration = new HashSet<>();
        for (int id : new int[] {eos, tokenId(metadata, EOT, vocabulary, SpecialTokens.NONE),
                tokenId(metadata, EOM, vocabulary, SpecialTokens.NONE)}) {
            if (id != SpecialTokens.NONE) {
                endOfGeneration.add(id);
            }
        }
        for (String text : END_OF_GENERATION_TEXTS) {
            int id = vocabulary.idOf(text);
            if (id >= 0) {
                endOfGeneration.add(id);
            }
        }
        try {
            return new SpecialTokens(bos, eos, unknown, padding, endOfGeneration,
                    metadata.getBool(ADD_BOS, defaults.addBos()), metadata.getBool(ADD_EOS, false));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(metadata.file(), -1, e.getMessage());
        }
    }

    /**
     * A special token id from the file, or the default when the key is absent or its value lies outside the
     * vocabulary (llama.cpp keeps the default then; e.g. PAD = 4294967295, a u32 -1, means "none").
     */
    private static int tokenId(Metadata metadata, String key, Vocabulary vocabulary, int fallback)
            throws ModelFormatException {
        long id = metadata.has(key) ? metadata.getLong(key) : fallback;
        if (id >= 0 && id < vocabulary.size()) {
            return (int) id;
        }
        return fallback >= 0 && fallback < vocabulary.size() ? fallback : SpecialTokens.NONE;
    }
}
