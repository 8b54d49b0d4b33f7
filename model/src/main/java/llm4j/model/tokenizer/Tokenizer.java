package llm4j.model.tokenizer;

/**
 * Text to token ids and back, with llama.cpp's behaviour for the vocabulary kinds it knows.
 * Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /**
     * Token ids of {@code text}.
     *
     * @param addSpecial   add BOS/EOS as the vocabulary's add_bos/add_eos flags ask
     * @param parseSpecial recognise the texts of control tokens (e.g. {@code <s>}, {@code <|im_start|>}) in
     *                     {@code text}; user-defined tokens are recognised either way, as in llama.cpp
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The text of {@code ids} as llama.cpp's detokenizer gives it without special-token rendering:
     * control tokens vanish, invalid UTF-8 becomes U+FFFD, and the space an SPM vocabulary prefixes to the text
     * is dropped from the first token.
     */
    String decode(int[] ids);

    /** The raw bytes token {@code id} adds to generated output (empty for control and unknown tokens). */
    byte[] tokenBytes(int id);

    /** Begin-of-sequence id, or -1 when the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1 when the vocabulary has none. */
    int eos();

    /** Whether generation should stop at {@code id}: EOS, EOT, {@code <|im_end|>}, {@code <|eot_id|>}, ... */
    boolean isEndOfGeneration(int id);

    int vocabSize();

    /** The token's text exactly as the vocabulary stores it (e.g. {@code ▁Hello}, {@code <0x0A>}, {@code Ġworld}). */
    String piece(int id);
}
