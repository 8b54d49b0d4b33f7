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

    public Metadata(Path file, Map<String, MetadataValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
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

    public long getLong(String key) throws ModelFormatException {
        MetadataValue v = require(key, null);
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
            throw new ModelFormatException(file, -1, "metadata " + key + " = " + Long.toUnsignedString(v) + " is out of range");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) throws ModelFormatException {
        return has(key) ? getInt(key) : fallback;
    }

    /** A float; integer-typed values are accepted too, as llama.cpp does for some keys. */
    public float getFloat(String key) throws ModelFormatException {
        MetadataValue v = require(key, null);
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
            default -> throw wrongType(key, v, "an array of floats");
        };
    }

    /** An integer array narrowed to int (token types, ids). */
    public int[] getIntArray(String key) throws ModelFormatException {
        MetadataValue v = require(key, ValueType.ARRAY);
        if (!(v.value() instanceof long[] a)) {
            throw wrongType(key, v, "an array of integers");
        }
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (int) a[i];
        }
        return out;
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
        return new ModelFormatException(file, -1, "metadata " + key + " has type " + v.typeLabel() + ", expected " + expected);
    }
}
