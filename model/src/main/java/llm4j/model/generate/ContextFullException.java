package llm4j.model.generate;

/** The sequence would grow past the KV cache's capacity. */
public final class ContextFullException extends RuntimeException {

    public ContextFullException(int needed, int capacity) {
        super("context is full: " + needed + " positions needed, the context holds " + capacity + " (raise -c)");
    }
}
