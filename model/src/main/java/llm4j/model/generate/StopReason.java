package llm4j.model.generate;

/** Why generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token. */
    END_OF_TEXT,
    /** The requested number of tokens was generated. */
    LIMIT,
    /** The context (KV cache) is full. */
    CONTEXT_FULL,
    /** The caller asked to stop (Ctrl-C, a stop string, a closed stream). */
    CANCELLED
}
