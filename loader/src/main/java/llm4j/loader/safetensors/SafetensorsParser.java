package llm4j.loader.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.quant.GgmlType;

/**
 * Reads a safetensors header: an 8-byte little-endian length, then that many bytes of JSON mapping tensor names to
 * {@code dtype}, row-major {@code shape} and {@code data_offsets} (relative to the end of the header), plus an
 * optional {@code __metadata__} string map. Every length and offset is checked against the file before it is used.
 */
final class SafetensorsParser {

    /** The format's own limit on the header, so a hostile length cannot make us read gigabytes of JSON. */
    static final long MAX_HEADER = 100L << 20;
    /**
     * llm4j's tighter limit: the header is decoded to a String and a JSON tree, several times its size in heap, so
     * 100 MB of hostile JSON could exhaust a small heap. Real headers list a few thousand tensors in under 1 MiB.
     */
    static final long MAX_HEADER_READ = 16L << 20;
    static final String METADATA = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** What the header says, with views already sliced out of the mapping. */
    record Header(Map<String, String> metadata, List<TensorView> tensors, long dataStart) {
    }

    private final Path path;
    private final MemorySegment mapping;

    SafetensorsParser(Path path, MemorySegment mapping) {
        this.path = path;
        this.mapping = mapping;
    }

    Header parse() throws ModelFormatException {
        long size = mapping.byteSize();
        if (size < 8) {
            throw new ModelFormatException(path, 0, "file of " + size + " bytes is too short for a safetensors header");
        }
        long length = mapping.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (Long.compareUnsigned(length, size - 8) > 0) {
            throw new ModelFormatException(path, 0, "header length " + Long.toUnsignedString(length)
                    + " runs past the end of the file (" + size + " bytes)");
        }
        if (length > MAX_HEADER) {
            throw new ModelFormatException(path, 0, "header length " + length + " exceeds the safetensors limit of " + MAX_HEADER);
        }
        if (length > MAX_HEADER_READ) {
            throw new ModelFormatException(path, 0, "header length " + length + " exceeds llm4j's limit of " + MAX_HEADER_READ
                    + " bytes (real headers are under 1 MiB)");
        }
        long dataStart = 8 + length;
        JsonNode root = json(mapping.asSlice(8, length).toArray(ValueLayout.JAVA_BYTE));
        if (!root.isObject()) {
            throw new ModelFormatException(path, 8, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA)) {
                readMetadata(field.getValue(), metadata);
            } else {
                entries.add(entry(field.getKey(), field.getValue(), size - dataStart));
            }
        }
        checkOverlaps(entries);
        entries.sort(Comparator.comparingLong(Entry::begin));
        List<TensorView> views = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            long at = dataStart + e.begin;
            views.add(new TensorView(e.name, e.type, e.ggmlShape, at, mapping.asSlice(at, e.end - e.begin)));
        }
        return new Header(metadata, views, dataStart);
    }

    private JsonNode json(byte[] bytes) throws ModelFormatException {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(path, 8, "header is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(path, 8, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(path, 8, "header cannot be read: " + e.getMessage());
        }
    }

    private void readMetadata(JsonNode node, Map<String, String> out) throws ModelFormatException {
        if (!node.isObject()) {
            throw new ModelFormatException(path, 8, METADATA + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(path, 8, METADATA + " value of '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
    }

    private record Entry(String name, GgmlType type, long[] ggmlShape, long begin, long end) {
    }

    private Entry entry(String name, JsonNode node, long dataSize) throws ModelFormatException {
        if (!node.isObject()) {
            throw problem(name, "is not a JSON object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw problem(name, "has no dtype");
        }
        GgmlType type = dtype(name, dtype.asText());
        JsonNode shape = node.get("shape");
        if (shape == null || !shape.isArray()) {
            throw problem(name, "has no shape");
        }
        // safetensors shapes are row-major (last dimension contiguous); ggml order is the reverse
        long[] ggml = new long[Math.max(1, shape.size())];
        ggml[0] = 1;
        long elements = 1;
        for (int i = 0; i < shape.size(); i++) {
            JsonNode d = shape.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw problem(name, "has shape " + shape + " with a dimension that is not a non-negative integer");
            }
            ggml[shape.size() - 1 - i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, d.asLong());
            } catch (ArithmeticException e) {
                throw problem(name, "element count of shape " + shape + " overflows");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw problem(name, "has no valid data_offsets [begin, end]");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw problem(name, "data_offsets [" + begin + ", " + end + "] lie outside the data section of " + dataSize + " bytes");
        }
        long expected;
        try {
            expected = type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw problem(name, "byte size of shape " + shape + " overflows");
        }
        if (end - begin != expected) {
            throw problem(name, "has " + (end - begin) + " bytes of data, but " + dtype.asText() + " " + shape + " needs " + expected);
        }
        return new Entry(name, type, ggml, begin, end);
    }

    private GgmlType dtype(String name, String dtype) throws ModelFormatException {
        return switch (dtype) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            default -> throw problem(name, "has dtype " + dtype + "; llm4j reads F32, F16 and BF16 safetensors");
        };
    }

    private void checkOverlaps(List<Entry> entries) throws ModelFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.removeIf(e -> e.begin == e.end);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).end > sorted.get(i).begin) {
                throw problem(sorted.get(i).name, "overlaps tensor '" + sorted.get(i - 1).name + "'");
            }
        }
    }

    private ModelFormatException problem(String tensor, String what) {
        return new ModelFormatException(path, 8, "tensor '" + tensor + "' " + what);
    }
}
