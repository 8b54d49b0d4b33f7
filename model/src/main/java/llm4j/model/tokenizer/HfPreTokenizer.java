package llm4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tokenizer.json {@code pre_tokenizer}: how a normalized segment is cut into words before BPE. Supports
 * ByteLevel (with or without its GPT-2 regex and prefix space), Split with a regex or string in Isolated mode,
 * Digits, Metaspace, and Sequences of them. Each step works on every piece the previous steps produced, and a
 * regex never looks beyond its piece, as in Hugging Face tokenizers.
 */
final class HfPreTokenizer {

    /** GPT-2's word pattern, which ByteLevel applies when use_regex is set. */
    static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private sealed interface Step {
    }

    /** Matches and the text between them each become pieces. */
    private record Isolate(Pattern pattern) implements Step {
    }

    /** ByteLevel's add_prefix_space: a piece not starting with a space gets one. */
    private record PrefixSpace() implements Step {
    }

    /**
     * Spaces become {@code replacement}, which is also put in front of a piece (always, or on the input's first
     * segment only) unless it is already there; with {@code split}, each replacement starts a new word.
     */
    private record Metaspace(String replacement, boolean always, boolean firstOnly, boolean split) implements Step {
    }

    private final List<Step> steps;
    private final boolean byteLevel;

    private HfPreTokenizer(List<Step> steps, boolean byteLevel) {
        this.steps = steps;
        this.byteLevel = byteLevel;
    }

    static HfPreTokenizer parse(JsonNode node) {
        List<Step> steps = new ArrayList<>();
        boolean[] byteLevel = {false};
        collect(node, steps, byteLevel);
        return new HfPreTokenizer(steps, byteLevel[0]);
    }

    private static void collect(JsonNode node, List<Step> steps, boolean[] byteLevel) {
        if (node == null || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> node.path("pretokenizers").forEach(n -> collect(n, steps, byteLevel));
            case "ByteLevel" -> {
                byteLevel[0] = true;
                if (node.path("add_prefix_space").asBoolean(false)) {
                    steps.add(new PrefixSpace());
                }
                if (node.path("use_regex").asBoolean(true)) {
                    steps.add(new Isolate(compile(GPT2_PATTERN)));
                }
            }
            case "Split" -> {
                String behavior = node.path("behavior").asText();
                if (!behavior.equals("Isolated") || node.path("invert").asBoolean(false)) {
                    throw new HfTokenizerException("tokenizer.json Split with behavior " + behavior
                            + (node.path("invert").asBoolean(false) ? " (inverted)" : "") + " is not supported (llm4j knows Isolated)");
                }
                JsonNode pattern = node.path("pattern");
                if (pattern.has("Regex")) {
                    steps.add(new Isolate(compile(pattern.get("Regex").asText())));
                } else if (pattern.has("String")) {
                    steps.add(new Isolate(Pattern.compile(Pattern.quote(pattern.get("String").asText()))));
                } else {
                    throw new HfTokenizerException("tokenizer.json Split has no String or Regex pattern");
                }
            }
            case "Digits" -> steps.add(new Isolate(compile(node.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+")));
            case "Metaspace" -> {
                String scheme = node.has("prepend_scheme") ? node.path("prepend_scheme").asText()
                        : node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                steps.add(new Metaspace(node.path("replacement").asText("\u2581"), scheme.equals("always"),
                        scheme.equals("first"), node.path("split").asBoolean(true)));
            }
            default -> throw new HfTokenizerException("tokenizer.json pre-tokenizer '" + type + "' is not supported"
                    + " (llm4j knows ByteLevel, Split, Digits, Metaspace and Sequence)");
        }
    }

    /** \s and \p{..} with their Unicode meaning, as the Rust regex engines give them. */
    private static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** Whether a ByteLevel step is present: the vocabulary is spelt in GPT-2's byte alphabet. */
    boolean byteLevel() {
        return byteLevel;
    }

    boolean isEmpty() {
        return steps.isEmpty();
    }

    /** The words of one segment; {@code firstSegment} is true for the segment at the very start of the input. */
    List<String> split(String text, boolean firstSegment) {
        List<String> pieces = new ArrayList<>();
        if (!text.isEmpty()) {
            pieces.add(text);
        }
        for (Step step : steps) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                switch (step) {
                    case Isolate(Pattern p) -> isolate(p, piece, next);
                    case PrefixSpace() -> next.add(piece.startsWith(" ") ? piece : " " + piece);
                    case Metaspace m -> metaspace(m, piece, firstSegment && piece == pieces.getFirst(), next);
                }
            }
            pieces = next;
        }
        return pieces;
    }

    private static void isolate(Pattern pattern, String piece, List<String> out) {
        Matcher m = pattern.matcher(piece);
        int at = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > at) {
                out.add(piece.substring(at, m.start()));
            }
            out.add(piece.substring(m.start(), m.end()));
            at = m.end();
        }
        if (at < piece.length()) {
            out.add(piece.substring(at));
        }
    }

    private static void metaspace(Metaspace m, String piece, boolean first, List<String> out) {
        String s = piece.replace(" ", m.replacement());
        if ((m.always() || (m.firstOnly() && first)) && !s.startsWith(m.replacement())) {
            s = m.replacement() + s;
        }
        if (!m.split()) {
            out.add(s);
            return;
        }
        int start = 0;
        for (int i = s.indexOf(m.replacement(), 1); i > 0; i = s.indexOf(m.replacement(), i + 1)) {
            out.add(s.substring(start, i));
            start = i;
        }
        out.add(s.substring(start));
    }
}
