package llm4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.function.IntFunction;

/**
 * GGUF tokenizer model {@code llama}: SentencePiece pieces with scores, as llama.cpp tokenizes them. Spaces are
 * written as {@code ▁} (U+2581), one is prefixed to the text at its start and after each special token (when
 * add_space_prefix is set), and pieces are merged by score; bytes no piece covers become {@code <0xXX>} tokens.
 * No Unicode normalisation is applied.
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {

    static final char SPACE_MARK = '\u2581';

    private final boolean addSpacePrefix;
    private final SpmSymbolMerger merger;

    public SentencePieceTokenizer(Vocabulary vocabulary, SpecialTokens special, boolean addSpacePrefix) {
        super(vocabulary, special, outputBytes(vocabulary), addSpacePrefix, false);
        this.addSpacePrefix = addSpacePrefix;
        this.merger = new SpmSymbolMerger(vocabulary, byteTokens(vocabulary, special.unknown()));
    }

    @Override
    void encodeText(String text, boolean startsSegment, TokenIds out) {
        String prefixed = addSpacePrefix && startsSegment ? " " + text : text;
        merger.tokenize(prefixed.replace(' ', SPACE_MARK), out);
    }

    /**
     * For each byte value: its {@code <0xXX>} token, else a token spelling that single (ASCII) character, else UNK,
     * as llama.cpp's byte fallback looks them up.
     */
    private static int[] byteTokens(Vocabulary vocabulary, int unknown) {
        int[] tokens = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = vocabulary.idOf(byteTokenText(b));
            if (id < 0 && b < 0x80) {
                id = vocabulary.idOf(String.valueOf((char) b));
            }
            tokens[b] = id >= 0 ? id : unknown;
        }
        return tokens;
    }

    static String byteTokenText(int b) {
        return "<0x" + HexFormat.of().withUpperCase().toHexDigits((byte) b) + ">";
    }

    private static IntFunction<byte[]> outputBytes(Vocabulary vocabulary) {
        return id -> {
            String text = vocabulary.text(id);
            return switch (vocabulary.type(id)) {
                case NORMAL -> text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
                case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
                case BYTE -> byteOf(text);
                // control and unknown tokens are hidden; unused and undefined ones render nothing either
                case CONTROL, UNKNOWN, UNUSED, UNDEFINED -> new byte[0];
            };
        };
    }

    /** The byte a {@code <0xXX>} token stands for; a malformed byte token renders nothing. */
    private static byte[] byteOf(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return new byte[] {(byte) HexFormat.fromHexDigits(text, 3, 5)};
            } catch (IllegalArgumentException e) {
                return new byte[0];
            }
        }
        return new byte[0];
    }
}
