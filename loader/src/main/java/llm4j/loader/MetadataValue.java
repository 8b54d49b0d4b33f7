package llm4j.loader;

import java.util.List;

/**
 * One metadata value with its declared type. Java representations:
 * integers of every width as {@link Long} (unsigned values widened; uint64 keeps its bits),
 * FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
 * {@link String}. Arrays ({@code type == ARRAY}) carry their {@code elementType} and a primitive
 * array: {@code long[]} for integers, {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}, or {@code List<MetadataValue>} for nested arrays.
 */
public record MetadataValue(ValueType type, ValueType elementType, Object value) {

    public static MetadataValue of(ValueType type, Object value) {
        return new MetadataValue(type, null, value);
    }

    public static MetadataValue array(ValueType elementType, Object values) {
        return new MetadataValue(ValueType.ARRAY, elementType, values);
    }

    /** Number of elements of an array value (1 for scalars). */
    public int length() {
        if (type != ValueType.ARRAY) {
            return 1;
        }
        return switch (value) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case List<?> a -> a.size();
            default -> throw new IllegalStateException("unexpected array value " + value.getClass());
        };
    }

    /** "uint32", "string", "array[string]" … as gguf-dump prints them. */
    public String typeLabel() {
        return type == ValueType.ARRAY ? "array[" + elementType.label() + "]" : type.label();
    }
}
