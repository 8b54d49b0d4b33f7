package llm4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * What SentencePiece and byte-level BPE tokenizers share: cutting out special tokens, adding BOS/EOS, and turning
 * ids back into bytes. Subclasses supply the tokenization of plain text and the output bytes of each token.
 */
abstract class VocabularyTokenizer implements Tokenizer {

    private static final byte[] NO_BYTES = new byte[0];

    final Vocabulary vocabulary;
    final SpecialTokens special;
    private final SpecialTokenSplitter splitter;
    private final TokenBytes outputBytes;
    private final FirstSpace firstSpace;
    private final boolean cleansSpaces;

    /** Which leading space the detokenizer removes: the one the encoder added in front of the text. */
    enum FirstSpace {
        /** None. */
        KEEP,
        /** llama.cpp's add_space_prefix: one space of the very first token, even when that token renders empty. */
        FIRST_TOKEN,
        /** Hugging Face's Strip decoder after Fuse: one space at the start of the whole output. */
        FIRST_BYTE
    }

    /**
     * @param outputBytes     what a token contributes to generated text, by id (made on first use)
     * @param dropsFirstSpace llama.cpp's add_space_prefix: the detokenizer removes one leading space of the first
     *                        token, the one the encoder added
     * @param cleansSpaces    llama.cpp's clean_spaces: the detokenizer glues punctuation and contractions
     */
    VocabularyTokenizer(Vocabulary vocabulary, SpecialTokens special, IntFunction<byte[]> outputBytes,
                        boolean dropsFirstSpace, boolean cleansSpaces) {
        this(vocabulary, special, outputBytes, dropsFirstSpace ? FirstSpace.FIRST_TOKEN : FirstSpace.KEEP, cleansSpaces);
    }

    VocabularyTokenizer(Vocabulary vocabulary, SpecialTokens special, IntFunction<byte[]> outputBytes,
                        FirstSpace firstSpace, boolean cleansSpaces) {
        this.vocabulary = vocabulary;
        this.special = special;
        this.splitter = new SpecialTokenSplitter(vocabulary);
        this.outputBytes = new TokenBytes(vocabulary.size(), outputBytes);
        this.firstSpace = firstSpace;
        this.cleansSpaces = cleansSpaces;
    }

    /**
     * Whether the text after special token {@code id} starts a new segment (where SPM adds its space). llama.cpp:
     * always; Hugging Face tokenizers decide by how the token was matched.
     */
    boolean startsSegmentAfter(int id) {
        return true;
    }

    /**
     * Appends the tokens of plain text.
     *
     * @param startsSegment the text begins the input or follows a special token (where SPM adds its space)
     */
    abstract void encodeText(String text, boolean startsSegment, TokenIds out);

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        TokenIds ids = new TokenIds();
        if (addSpecial && special.addBos()) {
            ids.add(special.bos());
        }
        boolean startsSegment = true;
        for (Fragment fragment : splitter.split(text, parseSpecial)) {
            switch (fragment) {
                case Fragment.Text(String plain) -> {
                    encodeText(plain, startsSegment, ids);
                    startsSegment = false;
                }
                case Fragment.Token(int id) -> {
                    ids.add(id);
                    startsSegment = startsSegmentAfter(id);
                }
            }
        }
        if (addSpecial && special.addEos()) {
            ids.add(special.eos());
        }
        return ids.toArray();
    }

    @Override
    public final String decode(int[] ids) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        boolean rendered = false;
        for (int i = 0; i < ids.length; i++) {
            byte[] bytes = bytesOf(ids[i]);
            boolean first = switch (firstSpace) {
                case KEEP -> false;
                // only the very first token loses its space, even when it renders empty (llama.cpp's rule)
                case FIRST_TOKEN -> i == 0;
                // the first token that renders anything: Strip sees the fused output
                case FIRST_BYTE -> !rendered;
            };
            rendered |= bytes.length > 0;
            int skip = first && bytes.length > 0 && bytes[0] == ' ' ? 1 : 0;
            text.write(bytes, skip, bytes.length - skip);
        }
        byte[] all = text.toByteArray();
        if (cleansSpaces) {
            all = SpaceCleanup.apply(all);
        }
        return new String(all, StandardCharsets.UTF_8);
    }

    @Override
    public final byte[] tokenBytes(int id) {
        byte[] bytes = bytesOf(id);
        return bytes.length == 0 ? NO_BYTES : bytes.clone();
    }

    private byte[] bytesOf(int id) {
        if (!vocabulary.contains(id)) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabulary.size());
        }
        return outputBytes.of(id);
    }

    @Override
    public final int bos() {
        return special.bos();
    }

    @Override
    public final int eos() {
        return special.eos();
    }

    @Override
    public final boolean isEndOfGeneration(int id) {
        return special.endOfGeneration().contains(id);
    }

    @Override
    public final int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public final String piece(int id) {
        return vocabulary.text(id);
    }

    /** The vocabulary this tokenizer works with. */
    public final Vocabulary vocabulary() {
        return vocabulary;
    }

    /** Its special tokens and BOS/EOS policy. */
    public final SpecialTokens specialTokens() {
        return special;
    }
}
