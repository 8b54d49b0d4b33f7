package llm4j.loader;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Key/value metadata of a model file, in file order. The typed getters check the declared type and
 * report a missing key or a key of the wrong type as a {@link ModelFormatException}.
 */
public final class Metadata {

    private final Path file;
    private final Map<String, MetadataValue> values;
    private final Map<String, Long> offsets;
    private final boolean fromJson;

    public Metadata(Path file, Map<String, MetadataValue> values) {
        this(file, values, Map.of(), false);
    }

    /** @param offsets byte offset of each key's pair in the file, named in errors about the key */
    public Metadata(Path file, Map<String, MetadataValue> values, Map<String, Long> offsets) {
        this(file, values, offsets, false);
    }

    /**
     * @param fromJson the values were parsed from JSON (SMQ), where numbers carry no width and some producers
     *                 quote them: numeric getters then also accept numeric strings, and float arrays integer ones
     */
    public Metadata(Path file, Map<String, MetadataValue> values, boolean fromJson) {
        this(file, values, Map.of(), fromJson);
    }

    private Metadata(Path file, Map<String, MetadataValue> values, Map<String, Long> offsets, boolean fromJson) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.offsets = Map.copyOf(offsets);
        this.fromJson = fromJson;
    }

    /** The file the metadata was read from (named in every error about it). */
    public Path file() {
        return file;
    }

    /** The file the metadata was read from (for error messages). */
    public Path path() {
        return file;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public Map<String, MetadataValue> asMap() {
        return values;
    }

    /** Byte offset of {@code key}'s pair in the file, or -1 when unknown or absent. */
    public long offsetOf(String key) {
        return offsets.getOrDefault(key, -1L);
    }

    /** An error about {@code key}, located at its pair in the file. */
    public ModelFormatException error(String key, String problem) {
        return new ModelFormatException(file, offsetOf(key), problem);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Optional<MetadataValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String getString(String key) throws ModelFormatException {
        return (String) require(key, ValueType.STRING).value();
    }

    public String getString(String key, String fallback) throws ModelFormatException {
        return has(key) ? getString(key) : fallback;
    }

    /** An integer of any width; a uint64 above 2^63 keeps its bits and so reads back negative. */
    public long getLong(String key) throws ModelFormatException {
        MetadataValue v = require(key, null);
        if (fromJson && v.value() instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw wrongType(key, v, "an integer");
            }
        }
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        return (Long) v.value();
    }

    public long getLong(String key, long fallback) throws ModelFormatException {
        return has(key) ? getLong(key) : fallback;
    }

    /** An integer that must fit in a non-negative int (counts, sizes, ids). */
    public int getInt(String key) throws ModelFormatException {
        long v = getLong(key);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw error(key, "metadata " + key + " = " + display(key, v) + " is out of range");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) throws ModelFormatException {
        return has(key) ? getInt(key) : fallback;
    }

    /** A float; integer-typed values are accepted too, as llama.cpp does for some keys. */
    public float getFloat(String key) throws ModelFormatException {
        MetadataValue v = require(key, null);
        if (fromJson && v.value() instanceof String s) {
            try {
                return Float.parseFloat(s.trim());
            } catch (NumberFormatException e) {
                throw wrongType(key, v, "a float");
            }
        }
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d.floatValue();
            case Long l when v.type().isInteger() -> l.floatValue();
            default -> throw wrongType(key, v, "a float");
        };
    }

    public float getFloat(String key, float fallback) throws ModelFormatException {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) throws ModelFormatException {
        if (fromJson && values.get(key) instanceof MetadataValue v && v.value() instanceof String s
                && (s.equals("true") || s.equals("false"))) {
            return s.equals("true");
        }
        return has(key) ? (Boolean) require(key, ValueType.BOOL).value() : fallback;
    }

    public String[] getStringArray(String key) throws ModelFormatException {
        return (String[]) requireArray(key, ValueType.STRING);
    }

    public float[] getFloatArray(String key) throws ModelFormatException {
        MetadataValue v = require(key, ValueType.ARRAY);
        return switch (v.value()) {
            case float[] a -> a;
            case double[] a -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    f[i] = (float) a[i];
                }
                yield f;
            }
            case long[] a when fromJson -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    f[i] = a[i];
                }
                yield f;
            }
            default -> throw wrongType(key, v, "an array of floats");
        };
    }

    /**
     * An integer array narrowed to int (token types, ids). A value outside the int range is an
     * error, not silently wrapped: a wrapped id would index some other token.
     */
    public int[] getIntArray(String key) throws ModelFormatException {
        MetadataValue v = require(key, ValueType.ARRAY);
        if (!(v.value() instanceof long[] a)) {
            throw wrongType(key, v, "an array of integers");
        }
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            // uint64 elements keep their bits: a negative long there is a value above 2^63
            boolean unsigned64 = v.elementType() == ValueType.UINT64 && a[i] < 0;
            if (unsigned64 || a[i] < Integer.MIN_VALUE || a[i] > Integer.MAX_VALUE) {
                throw error(key, "metadata " + key + "[" + i + "] = "
                        + (unsigned64 ? Long.toUnsignedString(a[i]) : a[i]) + " does not fit in an int");
            }
            out[i] = (int) a[i];
        }
        return out;
    }

    /** {@code v} as the file means it: uint64 values above 2^63 are held as negative longs. */
    private String display(String key, long v) {
        return values.get(key).type() == ValueType.UINT64 ? Long.toUnsignedString(v) : Long.toString(v);
    }

    private Object requireArray(String key, ValueType elementType) throws ModelFormatException {
        MetadataValue v = require(key, ValueType.ARRAY);
        if (v.elementType() != elementType) {
            throw wrongType(key, v, "array[" + elementType.label() + "]");
        }
        return v.value();
    }

    private MetadataValue require(String key, ValueType type) throws ModelFormatException {
        MetadataValue v = values.get(key);
        if (v == null) {
            throw new ModelFormatException(file, -1, "required metadata key " + key + " is missing");
        }
        if (type != null && v.type() != type) {
            throw wrongType(key, v, type.label());
        }
        return v;
    }

    private ModelFormatException wrongType(String key, MetadataValue v, String expected) {
        return error(key, "metadata " + key + " has type " + v.typeLabel() + ", expected " + expected);
    }
}
