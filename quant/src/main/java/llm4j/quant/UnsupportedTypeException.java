package llm4j.quant;

/** A tensor type llm4j recognises but has no kernels for. */
public final class UnsupportedTypeException extends RuntimeException {

    private final GgmlType type;

    public UnsupportedTypeException(GgmlType type) {
        super("tensor type " + type.name() + " (ggml id " + type.id() + ") is not supported");
        this.type = type;
    }

    public GgmlType type() {
        return type;
    }
}
