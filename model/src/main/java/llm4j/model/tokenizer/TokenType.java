package llm4j.model.tokenizer;

/** Token kinds as GGUF's {@code tokenizer.ggml.token_type} numbers them. */
public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type stored as {@code code}; numbers outside the table are UNDEFINED, as llama.cpp treats them. */
    public static TokenType fromCode(int code) {
        TokenType[] all = values();
        return code >= 0 && code < all.length ? all[code] : UNDEFINED;
    }

    public int code() {
        return ordinal();
    }

    /** Tokens whose text is cut out of the input before tokenizing (when special parsing allows it). */
    boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    /** Special tokens recognised in input text only when special parsing is asked for. */
    boolean isParsedOnRequest() {
        return this == CONTROL || this == UNKNOWN;
    }

    /** Tokens that render as nothing unless special tokens are explicitly shown. */
    boolean isHiddenInOutput() {
        return this == CONTROL || this == UNKNOWN;
    }
}
