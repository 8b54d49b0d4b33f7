package llm4j.loader.smq;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;

/**
 * SMQ's metadata block (a JSON object) to and from {@link Metadata}. JSON numbers have no width, so integers become
 * int64 and fractions float32 (parsed straight from their text, so a float written in shortest form reads back
 * bit-exact); arrays of one kind become typed arrays; anything else (objects, mixed arrays) is kept as its JSON text.
 */
final class SmqMetadata {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private SmqMetadata() {
    }

    static Metadata parse(Path file, byte[] json, long at) throws ModelFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFormatException(file, at, "metadata is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, at, "metadata is not a JSON object");
        }
        Map<String, MetadataValue> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            MetadataValue v = value(e.getValue());
            if (v != null) {
                values.put(e.getKey(), v);
            }
        }
        return new Metadata(file, values, true);
    }

    private static MetadataValue value(JsonNode n) {
        if (n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return MetadataValue.of(ValueType.STRING, n.asText());
        }
        if (n.isBoolean()) {
            return MetadataValue.of(ValueType.BOOL, n.asBoolean());
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return MetadataValue.of(ValueType.INT64, n.asLong());
        }
        if (n.isNumber()) {
            return MetadataValue.of(ValueType.FLOAT32, toFloat(n));
        }
        if (n.isArray()) {
            MetadataValue array = array((ArrayNode) n);
            if (array != null) {
                return array;
            }
        }
        return MetadataValue.of(ValueType.STRING, n.toString());
    }

    private static float toFloat(JsonNode n) {
        return n.isBigDecimal() ? Float.parseFloat(n.decimalValue().toString()) : (float) n.asDouble();
    }

    /** A typed array when every element is a string, an integer, a number or a bool; otherwise null. */
    private static MetadataValue array(ArrayNode a) {
        int n = a.size();
        if (all(a, JsonNode::isTextual)) {
            String[] out = new String[n];
            for (int i = 0; i < n; i++) {
                out[i] = a.get(i).asText();
            }
            return MetadataValue.array(ValueType.STRING, out);
        }
        if (all(a, x -> x.isIntegralNumber() && x.canConvertToLong())) {
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = a.get(i).asLong();
            }
            return MetadataValue.array(ValueType.INT64, out);
        }
        if (all(a, JsonNode::isNumber)) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = toFloat(a.get(i));
            }
            return MetadataValue.array(ValueType.FLOAT32, out);
        }
        if (all(a, JsonNode::isBoolean)) {
            boolean[] out = new boolean[n];
            for (int i = 0; i < n; i++) {
                out[i] = a.get(i).asBoolean();
            }
            return MetadataValue.array(ValueType.BOOL, out);
        }
        return null;
    }

    private static boolean all(ArrayNode a, java.util.function.Predicate<JsonNode> test) {
        for (JsonNode x : a) {
            if (!test.test(x)) {
                return false;
            }
        }
        return true;
    }

    // ---- writing ----------------------------------------------------------------------------

    /**
     * Compact UTF-8 JSON of {@code values}, as System.Text.Json writes it: non-ASCII characters escaped, floats in
     * shortest round-trip form (NaN and infinities cannot be written and are refused).
     */
    static byte[] write(Map<String, MetadataValue> values) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        values.forEach((k, v) -> root.set(k, node(k, v)));
        try {
            return JSON.writer().with(JsonGenerator.Feature.ESCAPE_NON_ASCII).writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise SMQ metadata", e);
        }
    }

    private static JsonNode node(String key, MetadataValue v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v.value()) {
            case String s -> f.textNode(s);
            case Boolean b -> f.booleanNode(b);
            case Long l -> f.numberNode(l);
            case Float x -> f.numberNode(finite(key, x));
            case Double x -> f.numberNode(new BigDecimal(Double.toString(finite(key, x))));
            case long[] a -> {
                ArrayNode out = f.arrayNode(a.length);
                for (long x : a) {
                    out.add(x);
                }
                yield out;
            }
            case float[] a -> {
                ArrayNode out = f.arrayNode(a.length);
                for (float x : a) {
                    out.add(finite(key, x));
                }
                yield out;
            }
            case double[] a -> {
                ArrayNode out = f.arrayNode(a.length);
                for (double x : a) {
                    out.add(new BigDecimal(Double.toString(finite(key, x))));
                }
                yield out;
            }
            case boolean[] a -> {
                ArrayNode out = f.arrayNode(a.length);
                for (boolean x : a) {
                    out.add(x);
                }
                yield out;
            }
            case String[] a -> {
                ArrayNode out = f.arrayNode(a.length);
                for (String x : a) {
                    out.add(x);
                }
                yield out;
            }
            case List<?> nested -> {
                ArrayNode out = f.arrayNode(nested.size());
                for (Object x : nested) {
                    out.add(node(key, (MetadataValue) x));
                }
                yield out;
            }
            default -> throw new IllegalArgumentException("metadata " + key + " has an unsupported value " + v.value().getClass());
        };
    }

    /** A float as its shortest decimal, so that parsing the text as a float gives it back exactly. */
    private static BigDecimal finite(String key, float x) {
        if (!Float.isFinite(x)) {
            throw new IllegalArgumentException("metadata " + key + " holds " + x + ", which JSON cannot represent");
        }
        return new BigDecimal(Float.toString(x));
    }

    private static double finite(String key, double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("metadata " + key + " holds " + x + ", which JSON cannot represent");
        }
        return x;
    }
}
