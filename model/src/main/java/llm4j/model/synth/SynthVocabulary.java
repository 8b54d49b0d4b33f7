package llm4j.model.synth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A GPT-2-style byte-level BPE vocabulary for the {@code tokenizer.ggml.*} keys: tokens, token types,
 * merges and special ids. Either the real one of a Hugging Face {@code tokenizer.json}, or a
 * placeholder of any size that is still a consistent BPE vocabulary (every merged token is the
 * concatenation of two earlier tokens), so tokenizers load it and round-trip text through it.
 *
 * @param tokens  token texts in GPT-2's byte-to-unicode spelling ("Ġ" is a space), indexed by id
 * @param types   llama.cpp token types ({@link #NORMAL}, {@link #CONTROL}, ...)
 * @param merges  "left right" pairs in rank order
 * @param pre     {@code tokenizer.ggml.pre}, the pre-tokenizer llama.cpp applies
 * @param addBos  whether a BOS token is prepended to prompts
 */
public record SynthVocabulary(String[] tokens, int[] types, String[] merges, int bos, int eos, int pad,
                              String pre, boolean addBos) {

    /** llama.cpp {@code llama_token_type} values. */
    public static final int NORMAL = 1;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;

    /** Three ChatML specials plus the 256 byte tokens. */
    public static final int MIN_SIZE = 3 + 256;

    /** SmolLM2's pre-tokenizer (digits split one by one, then GPT-2's byte-level regex). */
    public static final String PRE_SMOLLM = "smollm";

    public int size() {
        return tokens.length;
    }

    // ---- placeholder --------------------------------------------------------------------------

    /**
     * {@code size} tokens: {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>} (control, ids 0–2
     * as in SmolLM2), the 256 byte tokens, then merged tokens over letters and the space marker "Ġ":
     * all two-symbol pairs first, then three-symbol tokens, as many as needed.
     */
    public static SynthVocabulary placeholder(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("a byte-level vocabulary needs at least " + MIN_SIZE + " tokens, not " + size);
        }
        List<String> tokens = new ArrayList<>(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        String[] bytes = ByteLevel.alphabet();
        tokens.addAll(List.of(bytes));
        List<String> symbols = new ArrayList<>();
        symbols.add(ByteLevel.symbol(' '));
        for (char c = 'a'; c <= 'z'; c++) {
            symbols.add(String.valueOf(c));
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            symbols.add(String.valueOf(c));
        }
        List<String> merges = new ArrayList<>();
        List<String> pairs = new ArrayList<>();
        for (String a : symbols) {
            for (String b : symbols) {
                pairs.add(a + " " + b);
            }
        }
        // every two-symbol token, then each of them extended by one symbol: unique by construction
        Iterator<String> twoSymbol = pairs.iterator();
        Iterator<String> threeSymbol = pairs.stream()
                .flatMap(p -> symbols.stream().map(s -> p.replace(" ", "") + " " + s)).iterator();
        while (tokens.size() < size) {
            String merge = twoSymbol.hasNext() ? twoSymbol.next() : threeSymbol.next();
            merges.add(merge);
            tokens.add(merge.replace(" ", ""));
        }
        int[] types = new int[size];
        java.util.Arrays.fill(types, NORMAL);
        types[0] = types[1] = types[2] = CONTROL;
        return new SynthVocabulary(tokens.toArray(String[]::new), types, merges.toArray(String[]::new),
                1, 2, 2, PRE_SMOLLM, false);
    }

    // ---- Hugging Face tokenizer.json ------------------------------------------------------------

    /**
     * The vocabulary of a byte-level BPE {@code tokenizer.json}, padded to {@code size} tokens with
     * {@code [PAD<id>]} user-defined tokens as llama.cpp's converter does. Added tokens marked
     * special become control tokens, other added tokens user-defined. BOS, EOS and PAD ids come from
     * a {@code config.json} beside the file when there is one (SmolLM2-Instruct: 1, 2, 2), else the
     * first special token serves as all three (GPT-2's {@code <|endoftext|>} convention).
     */
    public static SynthVocabulary fromHfTokenizer(Path tokenizerJson, int size) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(tokenizerJson.toFile());
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new IOException(tokenizerJson + ": not a BPE tokenizer (model.type is '" + model.path("type").asText() + "')");
        }
        if (!usesByteLevel(root.path("pre_tokenizer"))) {
            throw new IOException(tokenizerJson + ": not a byte-level (GPT-2 style) BPE tokenizer");
        }
        String[] tokens = new String[Math.max(size, 0)];
        int[] types = new int[tokens.length];
        for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) {
            put(tokenizerJson, tokens, types, e.getValue().asInt(), e.getKey(), NORMAL, size);
        }
        int firstSpecial = -1;
        for (JsonNode added : root.path("added_tokens")) {
            boolean special = added.path("special").asBoolean(false);
            int id = added.path("id").asInt();
            put(tokenizerJson, tokens, types, id, added.path("content").asText(), special ? CONTROL : USER_DEFINED, size);
            if (special && firstSpecial < 0) {
                firstSpecial = id;
            }
        }
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] == null) {
                tokens[id] = "[PAD" + id + "]";
                types[id] = USER_DEFINED;
            }
        }
        checkUnique(tokenizerJson, tokens);
        String[] merges = merges(tokenizerJson, model.path("merges"));

        int bos = firstSpecial;
        int eos = firstSpecial;
        int pad = firstSpecial;
        Path config = tokenizerJson.resolveSibling("config.json");
        if (Files.isRegularFile(config)) {
            JsonNode c = json.readTree(config.toFile());
            bos = c.path("bos_token_id").asInt(bos);
            eos = c.path("eos_token_id").asInt(eos);
            pad = c.path("pad_token_id").asInt(pad);
        }
        if (bos < 0 || eos < 0) {
            throw new IOException(tokenizerJson + ": no special token to use as BOS/EOS");
        }
        // HF adds BOS only through a post-processor template; SmolLM2 has none
        boolean addBos = root.path("post_processor").toString().contains("\"" + tokens[bos] + "\"");
        return new SynthVocabulary(tokens, types, merges, bos, eos, pad, PRE_SMOLLM, addBos);
    }

    private static boolean usesByteLevel(JsonNode pre) {
        if ("ByteLevel".equals(pre.path("type").asText())) {
            return true;
        }
        for (JsonNode p : pre.path("pretokenizers")) {
            if (usesByteLevel(p)) {
                return true;
            }
        }
        return false;
    }

    private static void put(Path file, String[] tokens, int[] types, int id, String text, int type, int size) throws IOException {
        if (id < 0 || id >= size) {
            throw new IOException(file + ": token id " + id + " (" + text + ") does not fit a vocabulary of " + size
                    + " (the model shape's vocabulary size)");
        }
        tokens[id] = text;
        types[id] = type;
    }

    private static void checkUnique(Path file, String[] tokens) throws IOException {
        Set<String> seen = new HashSet<>();
        for (String t : tokens) {
            if (!seen.add(t)) {
                throw new IOException(file + ": token " + t + " appears twice");
            }
        }
    }

    /** Merges as "a b" strings; newer tokenizer.json files store them as ["a", "b"] pairs. */
    private static String[] merges(Path file, JsonNode merges) throws IOException {
        String[] out = new String[merges.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                out[i] = m.asText();
            } else if (m.isArray() && m.size() == 2) {
                out[i] = m.get(0).asText() + " " + m.get(1).asText();
            } else {
                throw new IOException(file + ": merge " + i + " is neither \"a b\" nor [a, b]");
            }
        }
        return out;
    }
}
