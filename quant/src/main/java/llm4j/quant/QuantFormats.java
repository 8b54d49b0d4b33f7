package llm4j.quant;

import llm4j.quant.format.F32Format;

/** The registry of block formats llm4j can decode and multiply. */
public final class QuantFormats {

    private QuantFormats() {
    }

    /** The format of {@code type}; throws {@link UnsupportedTypeException} for types without kernels. */
    public static QuantFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32Format.INSTANCE;
            default -> throw new UnsupportedTypeException(type);
        };
    }

    public static boolean has(GgmlType type) {
        try {
            of(type);
            return true;
        } catch (UnsupportedTypeException e) {
            return false;
        }
    }
}
