package llm4j.testdata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A minimal safetensors writer for tests: float32 (or F16/BF16 from raw bits) tensors with row-major shapes,
 * written the way the Python library lays files out (header padded with spaces to 8 bytes, data back to back).
 * Tests may also corrupt the header on purpose through {@link #rawHeader}.
 */
public final class TinySafetensors {

    private record Tensor(String name, String dtype, long[] shape, byte[] bytes) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public TinySafetensors f32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        tensors.add(new Tensor(name, "F32", shape.clone(), b.array()));
        return this;
    }

    /** 16-bit values given as raw bits: dtype "F16" or "BF16". */
    public TinySafetensors half(String name, String dtype, long[] shape, short[] bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : bits) {
            b.putShort(v);
        }
        tensors.add(new Tensor(name, dtype, shape.clone(), b.array()));
        return this;
    }

    /** Any dtype with any bytes (for refusals). */
    public TinySafetensors raw(String name, String dtype, long[] shape, byte[] bytes) {
        tensors.add(new Tensor(name, dtype, shape.clone(), bytes.clone()));
        return this;
    }

    public TinySafetensors metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The JSON header as it would be written. */
    public ObjectNode rawHeader() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode entry = header.putObject(t.name);
            entry.put("dtype", t.dtype);
            var shape = entry.putArray("shape");
            for (long d : t.shape) {
                shape.add(d);
            }
            var offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + t.bytes.length);
            offset += t.bytes.length;
        }
        return header;
    }

    public void write(Path file) {
        write(file, rawHeader());
    }

    /** Writes {@code header} (possibly edited) followed by the tensors' bytes. */
    public void write(Path file, ObjectNode header) {
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.writeBytes(json);
        for (int i = json.length; i < padded; i++) {
            out.write(' ');
        }
        for (Tensor t : tensors) {
            out.writeBytes(t.bytes);
        }
        try {
            Files.write(file, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
