package llm4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a byte-level BPE vocabulary splits text into words before merging (GGUF {@code tokenizer.ggml.pre}), with the
 * encoder and decoder switches llama.cpp ties to the same name. The regular expressions are llama.cpp's.
 *
 * <p>Each expression is applied in turn to every piece the previous ones produced; both its matches and the text
 * between them become pieces, and a match never looks beyond its piece (so {@code \s+(?!\S)} sees a piece's end
 * as the end of text).
 */
public enum BpePreTokenizer {

    /** No or an unknown-to-the-converter pre-tokenizer: llama.cpp's fallback set. */
    DEFAULT(Set.of("default", ""), false, false, true,
            "[\\p{P}\\$\\+<=>\\^~\\|]+", Words.GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
    GPT2(Set.of("gpt-2", "phi-2"), false, false, true, Words.GPT2),
    /** Llama 3: digits in groups of up to three; a word that is itself a token is never split. */
    LLAMA3(Set.of("llama3", "llama-v3", "llama-bpe", "falcon3"), true, true, true, Words.llama3Style("\\p{N}{1,3}")),
    QWEN2(Set.of("qwen2", "deepseek-r1-qwen"), false, false, false, Words.llama3Style("\\p{N}")),
    /** SmolLM: every digit on its own, then GPT-2 words (Hugging Face's Digits + ByteLevel). */
    SMOLLM(Set.of("smollm"), false, false, false, "\\p{N}", Words.GPT2);

    /** The word expressions several pre-tokenizers share. */
    private static final class Words {
        static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

        /** Llama 3's expression (case-insensitive contractions spelt out) with its digit rule swapped in. */
        static String llama3Style(String digits) {
            return "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" + digits
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        }
    }

    private final Set<String> names;
    private final boolean addsBosByDefault;
    private final boolean keepsWholeTokenWords;
    private final boolean cleansSpaces;
    private final List<Pattern> splitters;

    BpePreTokenizer(Set<String> names, boolean addsBosByDefault, boolean keepsWholeTokenWords, boolean cleansSpaces,
                    String... expressions) {
        this.names = names;
        this.addsBosByDefault = addsBosByDefault;
        this.keepsWholeTokenWords = keepsWholeTokenWords;
        this.cleansSpaces = cleansSpaces;
        // \s must mean Unicode White_Space, the set llama.cpp's whitespace flag holds
        this.splitters = Arrays.stream(expressions)
                .map(e -> Pattern.compile(e, Pattern.UNICODE_CHARACTER_CLASS))
                .toList();
    }

    /** The pre-tokenizer GGUF names {@code pre} (empty when the key is absent). */
    public static Optional<BpePreTokenizer> named(String pre) {
        for (BpePreTokenizer p : values()) {
            if (p.names.contains(pre)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Whether llama.cpp adds BOS for this pre-tokenizer when {@code tokenizer.ggml.add_bos_token} is absent. */
    public boolean addsBosByDefault() {
        return addsBosByDefault;
    }

    /** llama.cpp's ignore_merges: a word that is already a vocabulary token is emitted whole. */
    boolean keepsWholeTokenWords() {
        return keepsWholeTokenWords;
    }

    /** llama.cpp's clean_spaces for this pre-tokenizer (see {@link SpaceCleanup}). */
    boolean cleansSpaces() {
        return cleansSpaces;
    }

    /** The words of {@code text}, in order; together they spell {@code text} exactly. */
    List<String> split(String text) {
        int[] ends = {text.length()};
        int count = text.isEmpty() ? 0 : 1;
        for (Pattern splitter : splitters) {
            int[] next = new int[Math.max(16, count * 2)];
            int nextCount = 0;
            Matcher m = splitter.matcher(text);
            int pieceStart = 0;
            for (int p = 0; p < count; p++) {
                int pieceEnd = ends[p];
                int at = pieceStart;
                m.region(pieceStart, pieceEnd); // opaque bounds: lookahead stops at the piece's end
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue;
                    }
                    if (m.start() > at) {
                        next = appended(next, nextCount++, m.start());
                    }
                    next = appended(next, nextCount++, m.end());
                    at = m.end();
                }
                if (at < pieceEnd) {
                    next = appended(next, nextCount++, pieceEnd);
                }
                pieceStart = pieceEnd;
            }
            ends = next;
            count = nextCount;
        }
        List<String> words = new ArrayList<>(count);
        for (int p = 0, start = 0; p < count; start = ends[p++]) {
            words.add(text.substring(start, ends[p]));
        }
        return words;
    }

    private static int[] appended(int[] array, int index, int value) {
        int[] out = index < array.length ? array : Arrays.copyOf(array, array.length * 2);
        out[index] = value;
        return out;
    }
}
