package llm4j.model.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tokenizer.json {@code normalizer}: Unicode normalization forms, Lowercase, Replace and Prepend, alone or in a
 * Sequence. Prepend is kept apart because Hugging Face applies it only to a non-empty segment of the input, and
 * only to segments that normalization sees on their own.
 */
final class HfNormalizer {

    private final List<UnaryOperator<String>> steps;
    /** Text put in front of a segment (SentencePiece's "▁"), or empty. */
    private final String prepend;
    /** Index in {@link #steps} before which the prepend happens (its place in the sequence). */
    private final int prependAt;

    private HfNormalizer(List<UnaryOperator<String>> steps, String prepend, int prependAt) {
        this.steps = steps;
        this.prepend = prepend;
        this.prependAt = prependAt;
    }

    static HfNormalizer parse(JsonNode node) {
        List<UnaryOperator<String>> steps = new ArrayList<>();
        String[] prepend = {""};
        int[] prependAt = {-1};
        collect(node, steps, prepend, prependAt);
        return new HfNormalizer(steps, prepend[0], prependAt[0] < 0 ? steps.size() : prependAt[0]);
    }

    private static void collect(JsonNode node, List<UnaryOperator<String>> steps, String[] prepend, int[] prependAt) {
        if (node == null || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> node.path("normalizers").forEach(n -> collect(n, steps, prepend, prependAt));
            case "Prepend" -> {
                if (!prepend[0].isEmpty()) {
                    throw new HfTokenizerException("tokenizer.json normalizer has two Prepend steps");
                }
                prepend[0] = node.path("prepend").asText();
                prependAt[0] = steps.size();
            }
            case "Replace" -> steps.add(replace(node));
            case "NFC" -> steps.add(s -> Normalizer.normalize(s, Normalizer.Form.NFC));
            case "NFD" -> steps.add(s -> Normalizer.normalize(s, Normalizer.Form.NFD));
            case "NFKC" -> steps.add(s -> Normalizer.normalize(s, Normalizer.Form.NFKC));
            case "NFKD" -> steps.add(s -> Normalizer.normalize(s, Normalizer.Form.NFKD));
            case "Lowercase" -> steps.add(s -> s.toLowerCase(Locale.ROOT));
            default -> throw new HfTokenizerException("tokenizer.json normalizer '" + type + "' is not supported"
                    + " (llm4j knows Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD and Lowercase)");
        }
    }

    /** Replace with a literal string or a regular expression pattern, every occurrence. */
    static UnaryOperator<String> replace(JsonNode node) {
        JsonNode pattern = node.path("pattern");
        String content = node.path("content").asText();
        if (pattern.has("String")) {
            String literal = pattern.get("String").asText();
            return s -> s.replace(literal, content);
        }
        if (pattern.has("Regex")) {
            Pattern regex = Pattern.compile(pattern.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
            String quoted = Matcher.quoteReplacement(content);
            return s -> regex.matcher(s).replaceAll(quoted);
        }
        throw new HfTokenizerException("tokenizer.json Replace has no String or Regex pattern");
    }

    /** Normalizes one segment; {@code prependAllowed} says whether this segment gets the Prepend text. */
    String apply(String text, boolean prependAllowed) {
        String s = text;
        for (int i = 0; i <= steps.size(); i++) {
            if (i == prependAt && prependAllowed && !prepend.isEmpty() && !s.isEmpty()) {
                s = prepend + s;
            }
            if (i < steps.size()) {
                s = steps.get(i).apply(s);
            }
        }
        return s;
    }

    boolean prepends() {
        return !prepend.isEmpty();
    }
}
