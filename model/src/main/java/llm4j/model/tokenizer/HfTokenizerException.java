package llm4j.model.tokenizer;

/** A tokenizer.json that llm4j cannot reproduce exactly: an unknown component, or an inconsistent file. */
public final class HfTokenizerException extends RuntimeException {

    public HfTokenizerException(String message) {
        super(message);
    }
}
