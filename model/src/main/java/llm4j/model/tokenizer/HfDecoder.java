package llm4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tokenizer.json {@code decoder}, reduced to what it does to one token's text (ByteLevel, Replace, ByteFallback,
 * Metaspace's replacement) and whether one leading space of the output goes (Strip after Fuse, Metaspace).
 */
final class HfDecoder {

    private record Replacement(String from, String to) {
    }

    private final boolean byteLevel;
    private final boolean byteFallback;
    private final List<Replacement> replacements;
    private final boolean stripsFirstSpace;

    private HfDecoder(boolean byteLevel, boolean byteFallback, List<Replacement> replacements, boolean stripsFirstSpace) {
        this.byteLevel = byteLevel;
        this.byteFallback = byteFallback;
        this.replacements = replacements;
        this.stripsFirstSpace = stripsFirstSpace;
    }

    static HfDecoder parse(JsonNode node) {
        boolean[] flags = new boolean[4]; // byteLevel, byteFallback, fused, strips
        List<Replacement> replacements = new ArrayList<>();
        collect(node, flags, replacements);
        return new HfDecoder(flags[0], flags[1], replacements, flags[3]);
    }

    private static void collect(JsonNode node, boolean[] flags, List<Replacement> replacements) {
        if (node == null || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> node.path("decoders").forEach(n -> collect(n, flags, replacements));
            case "ByteLevel" -> flags[0] = true;
            case "ByteFallback" -> flags[1] = true;
            case "Fuse" -> flags[2] = true;
            case "Replace" -> {
                if (!node.path("pattern").has("String")) {
                    throw new HfTokenizerException("tokenizer.json decoder Replace with a regex is not supported");
                }
                replacements.add(new Replacement(node.path("pattern").path("String").asText(), node.path("content").asText()));
            }
            case "Strip" -> {
                int start = node.path("start").asInt(0);
                boolean stripsSpaces = node.path("content").asText(" ").equals(" ");
                // after Fuse the whole output is one token, so Strip's start applies to the output's first space
                if (!flags[2] || start > 1 || node.path("stop").asInt(0) != 0 || !stripsSpaces) {
                    throw new HfTokenizerException("tokenizer.json decoder Strip(" + node.path("content").asText() + ", "
                            + start + ", " + node.path("stop").asInt(0) + ") is only supported as Strip(' ', 1, 0) after Fuse");
                }
                flags[3] |= start == 1;
            }
            case "Metaspace" -> {
                replacements.add(new Replacement(node.path("replacement").asText("\u2581"), " "));
                String scheme = node.has("prepend_scheme") ? node.path("prepend_scheme").asText()
                        : node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                flags[3] |= !scheme.equals("never");
            }
            default -> throw new HfTokenizerException("tokenizer.json decoder '" + type + "' is not supported"
                    + " (llm4j knows ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace and Sequence)");
        }
    }

    boolean byteLevel() {
        return byteLevel;
    }

    boolean stripsFirstSpace() {
        return stripsFirstSpace;
    }

    /** What a token contributes to decoded text, by id. */
    IntFunction<byte[]> outputBytes(Vocabulary vocabulary) {
        return id -> {
            String text = vocabulary.text(id);
            return switch (vocabulary.type(id)) {
                // BOS/EOS and the like vanish, as with skip_special_tokens and in llama.cpp
                case CONTROL, UNUSED, UNDEFINED -> new byte[0];
                // Hugging Face renders the unknown token's text ("<unk>") rather than dropping the input it replaced
                case UNKNOWN, USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
                case BYTE -> byteFallback ? new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)} : normal(text);
                case NORMAL -> normal(text);
            };
        };
    }

    private byte[] normal(String text) {
        if (byteLevel) {
            return ByteLevelAlphabet.decode(text);
        }
        String s = text;
        for (Replacement r : replacements) {
            s = s.replace(r.from, r.to);
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
