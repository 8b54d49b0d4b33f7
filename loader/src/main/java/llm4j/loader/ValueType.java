package llm4j.loader;

/** GGUF metadata value types, with their on-disk ids. */
public enum ValueType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    /** The type with GGUF id {@code id}, or null. */
    public static ValueType byId(int id) {
        ValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }

    public int id() {
        return ordinal();
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
