package llm4j.loader.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import llm4j.loader.AtomicFile;
import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.quant.GgmlType;

/**
 * Writes a GGUF v3 file the way ggml's {@code gguf_write_to_file} lays it out: header, metadata in
 * insertion order, tensor infos, zero padding to the alignment, then each tensor's data followed by
 * zero padding to the alignment. The alignment is {@code general.alignment} when that key is set
 * (a power-of-two uint32), else 32.
 *
 * <p>Metadata is held in memory (it is small); tensor data is not: each tensor has a
 * {@link TensorSource} that is asked for its bytes only when the writer reaches it, so a file of
 * any size streams through a constant amount of memory. Values use {@link MetadataValue}'s Java
 * representation, the same the reader returns, so whatever {@link GgufFile} reads can be written back.
 *
 * <pre>{@code
 * GgufWriter w = new GgufWriter();
 * w.putString("general.architecture", "llama");
 * w.putUInt32("llama.block_count", 30);
 * w.addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {576, 49152}, sink -> ...);
 * w.write(path);   // atomically, via AtomicFile
 * }</pre>
 */
public final class GgufWriter {

    /** Reports bytes written so far out of the file's total, after each chunk. */
    @FunctionalInterface
    public interface Progress {
        void update(long written, long total);
    }

    static final int VERSION = 3;
    /** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
    static final int MAX_TENSOR_NAME_BYTES = 63;

    private record Tensor(String name, GgmlType type, long[] shape, long bytes, TensorSource source) {
    }

    private final Map<String, MetadataValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /**
     * A writer that reproduces {@code file}: the same metadata and tensors (data copied from its mapping).
     *
     * @throws IllegalArgumentException for a tensor whose bytes are not ggml blocks (SMQ's quantized layouts)
     */
    public static GgufWriter copyOf(ModelFile file) {
        GgufWriter w = new GgufWriter();
        w.putAll(file.metadata());
        for (TensorView t : file.tensors()) {
            if (!t.isGgmlLayout()) {
                throw new IllegalArgumentException("tensor " + t.name() + " is " + t.typeLabel() + ", which GGUF cannot hold as it is");
            }
            w.addTensor(t.name(), t.type(), t.shape(), TensorSource.of(t.data()));
        }
        return w;
    }

    // ---- metadata -------------------------------------------------------------------------

    /** Sets {@code key}; a key set again keeps its original position, as in a map. */
    public GgufWriter put(String key, MetadataValue value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must not be empty");
        }
        HeaderBuffer.utf8(key);
        check(key, value, 0);
        if (key.equals("general.alignment")) {
            alignmentOf(value);
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Metadata md) {
        md.asMap().forEach(this::put);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, MetadataValue.of(ValueType.STRING, value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, MetadataValue.of(ValueType.UINT32, value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, MetadataValue.of(ValueType.INT32, (long) value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, MetadataValue.of(ValueType.FLOAT32, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, MetadataValue.of(ValueType.BOOL, value));
    }

    public GgufWriter putStringArray(String key, String[] values) {
        return put(key, MetadataValue.array(ValueType.STRING, values.clone()));
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(key, MetadataValue.array(ValueType.FLOAT32, values.clone()));
    }

    /** An array of int32 (token types), widened to the reader's {@code long[]} representation. */
    public GgufWriter putInt32Array(String key, int[] values) {
        long[] wide = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return put(key, MetadataValue.array(ValueType.INT32, wide));
    }

    public Map<String, MetadataValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    // ---- tensors --------------------------------------------------------------------------

    /**
     * Adds a tensor; data is written in the order tensors are added.
     *
     * @param shape ggml order: {@code shape[0]} is the contiguous row length, 1 to 4 dimensions
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if (HeaderBuffer.utf8(name).length > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name " + name + " is longer than ggml's " + MAX_TENSOR_NAME_BYTES + " bytes");
        }
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name " + name);
        }
        if (shape.length < 1 || shape.length > GgufParser.MAX_DIMS) {
            tensorNames.remove(name);
            throw new IllegalArgumentException("tensor " + name + " has " + shape.length + " dimensions (1 to " + GgufParser.MAX_DIMS + " allowed)");
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) {
                tensorNames.remove(name);
                throw new IllegalArgumentException("tensor " + name + " has a dimension of size " + d);
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize() != 0) {
            tensorNames.remove(name);
            throw new IllegalArgumentException("tensor " + name + " has rows of " + shape[0] + " elements, not a multiple of "
                    + type.name() + "'s block size " + type.blockSize());
        }
        tensors.add(new Tensor(name, type, shape.clone(), type.bytesFor(elements), source));
        return this;
    }

    public int tensorCount() {
        return tensors.size();
    }

    // ---- layout ---------------------------------------------------------------------------

    public int alignment() {
        MetadataValue v = metadata.get("general.alignment");
        return v == null ? GgufParser.DEFAULT_ALIGNMENT : alignmentOf(v);
    }

    /** The header (everything before the tensor data), already padded to the alignment. */
    private byte[] header() {
        int alignment = alignment();
        HeaderBuffer h = new HeaderBuffer();
        h.u32(GgufParser.MAGIC);
        h.u32(VERSION);
        h.u64(tensors.size());
        h.u64(metadata.size());
        for (Map.Entry<String, MetadataValue> e : metadata.entrySet()) {
            h.string(e.getKey());
            h.u32(e.getValue().type().id());
            writeValue(h, e.getValue());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            h.string(t.name);
            h.u32(t.shape.length);
            for (long d : t.shape) {
                h.u64(d);
            }
            h.u32(t.type.id());
            h.u64(offset);
            offset += padded(t.bytes, alignment);
        }
        h.padTo(alignment);
        return h.toByteArray();
    }

    /** Exact size of the file {@link #write} produces. */
    public long fileSize() {
        return header().length + dataSize();
    }

    private long dataSize() {
        int alignment = alignment();
        long size = 0;
        for (Tensor t : tensors) {
            size += padded(t.bytes, alignment);
        }
        return size;
    }

    private static long padded(long bytes, int alignment) {
        return GgufParser.alignUp(bytes, alignment);
    }

    // ---- output ---------------------------------------------------------------------------

    /** Writes the file atomically: {@code target} is replaced only once it is complete and on disk. */
    public void write(Path target) throws IOException {
        write(target, (written, total) -> { });
    }

    public void write(Path target, Progress progress) throws IOException {
        long size = fileSize();
        Path dir = target.toAbsolutePath().getParent();
        if (dir != null && Files.isDirectory(dir)) {
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < size) {
                throw new IOException("cannot write " + target + ": it needs " + size + " bytes, " + dir + " has " + free + " free");
            }
        }
        AtomicFile.write(target, ch -> writeTo(ch, progress));
    }

    /** Writes the whole file at the channel's current position (0 for a file). */
    public void writeTo(FileChannel ch, Progress progress) throws IOException {
        int alignment = alignment();
        byte[] header = header();
        long total = header.length + dataSize();
        CountingSink out = new CountingSink(ch, total, progress);
        out.write(ByteBuffer.wrap(header));
        for (Tensor t : tensors) {
            long start = out.written;
            out.limit = start + t.bytes;
            out.tensor = t.name;
            t.source.writeTo(out);
            if (out.written != out.limit) {
                throw new IOException("tensor " + t.name + " (" + t.type + " " + Arrays.toString(t.shape) + ") needs "
                        + t.bytes + " bytes, its source wrote " + (out.written - start));
            }
            out.limit = Long.MAX_VALUE;
            int pad = (int) (padded(t.bytes, alignment) - t.bytes);
            out.write(ByteBuffer.allocate(pad));
        }
        if (out.written != total) {
            throw new IllegalStateException("wrote " + out.written + " bytes, expected " + total);
        }
    }

    /** Passes tensor bytes to the channel, refusing more than the current tensor's size. */
    private static final class CountingSink implements TensorSink {
        private final FileChannel ch;
        private final long total;
        private final Progress progress;
        long written;
        long limit = Long.MAX_VALUE;
        String tensor;

        CountingSink(FileChannel ch, long total, Progress progress) {
            this.ch = ch;
            this.total = total;
            this.progress = progress;
        }

        @Override
        public void write(ByteBuffer bytes) throws IOException {
            int n = bytes.remaining();
            if (written + n > limit) {
                throw new IOException("the source of tensor " + tensor + " wrote more than its " + (limit - written) + " remaining bytes");
            }
            AtomicFile.writeFully(ch, bytes);
            written += n;
            progress.update(written, total);
        }
    }

    // ---- values ---------------------------------------------------------------------------

    private static void writeValue(HeaderBuffer h, MetadataValue v) {
        switch (v.type()) {
            case UINT8, INT8 -> h.u8((int) (long) (Long) v.value());
            case UINT16, INT16 -> h.u16((int) (long) (Long) v.value());
            case UINT32, INT32 -> h.u32((int) (long) (Long) v.value());
            case UINT64, INT64 -> h.u64((Long) v.value());
            case FLOAT32 -> h.f32((Float) v.value());
            case FLOAT64 -> h.f64((Double) v.value());
            case BOOL -> h.u8((Boolean) v.value() ? 1 : 0);
            case STRING -> h.string((String) v.value());
            case ARRAY -> writeArray(h, v);
        }
    }

    private static void writeArray(HeaderBuffer h, MetadataValue v) {
        ValueType element = v.elementType();
        h.u32(element.id());
        h.u64(v.length());
        switch (v.value()) {
            case long[] a -> {
                for (long x : a) {
                    writeValue(h, MetadataValue.of(element, x));
                }
            }
            case float[] a -> {
                for (float x : a) {
                    h.f32(x);
                }
            }
            case double[] a -> {
                for (double x : a) {
                    h.f64(x);
                }
            }
            case boolean[] a -> {
                for (boolean x : a) {
                    h.u8(x ? 1 : 0);
                }
            }
            case String[] a -> {
                for (String x : a) {
                    h.string(x);
                }
            }
            case List<?> a -> {
                // nested arrays: each element is (element type, count, data) without a type tag of its own
                for (Object x : a) {
                    writeArray(h, (MetadataValue) x);
                }
            }
            default -> throw new IllegalStateException("unchecked array value " + v.value().getClass());
        }
    }

    /** Rejects values the reader would never produce, so what is written reads back equal. */
    private static void check(String key, MetadataValue v, int depth) {
        if (v == null || v.type() == null || v.value() == null) {
            throw new IllegalArgumentException("metadata " + key + " has no type or value");
        }
        if (v.type() != ValueType.ARRAY) {
            checkScalar(key, v.type(), v.value());
            return;
        }
        ValueType element = v.elementType();
        if (element == null) {
            throw new IllegalArgumentException("metadata " + key + " is an array without element type");
        }
        Object a = v.value();
        boolean matches = switch (element) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> a instanceof long[];
            case FLOAT32 -> a instanceof float[];
            case FLOAT64 -> a instanceof double[];
            case BOOL -> a instanceof boolean[];
            case STRING -> a instanceof String[];
            case ARRAY -> a instanceof List<?>;
        };
        if (!matches) {
            throw new IllegalArgumentException("metadata " + key + " is array[" + element.label() + "] but holds " + a.getClass().getSimpleName());
        }
        switch (a) {
            case long[] longs -> {
                for (long x : longs) {
                    checkScalar(key, element, x);
                }
            }
            case String[] strings -> {
                for (String s : strings) {
                    checkScalar(key, element, s);
                }
            }
            case List<?> list -> {
                if (depth + 1 >= 8) {
                    throw new IllegalArgumentException("metadata " + key + " nests arrays deeper than the reader accepts");
                }
                for (Object x : list) {
                    if (!(x instanceof MetadataValue inner) || inner.type() != ValueType.ARRAY) {
                        throw new IllegalArgumentException("metadata " + key + " is array[array] but holds a non-array element");
                    }
                    check(key, inner, depth + 1);
                }
            }
            default -> { }
        }
    }

    private static void checkScalar(String key, ValueType type, Object value) {
        boolean ok = switch (type) {
            case UINT8 -> value instanceof Long l && l >= 0 && l <= 0xFF;
            case INT8 -> value instanceof Long l && l >= Byte.MIN_VALUE && l <= Byte.MAX_VALUE;
            case UINT16 -> value instanceof Long l && l >= 0 && l <= 0xFFFF;
            case INT16 -> value instanceof Long l && l >= Short.MIN_VALUE && l <= Short.MAX_VALUE;
            case UINT32 -> value instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
            case INT32 -> value instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE;
            case UINT64, INT64 -> value instanceof Long;
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String s && validUtf8(s);
            case ARRAY -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata " + key + ": " + value + " is not a valid " + type.label());
        }
    }

    private static boolean validUtf8(String s) {
        HeaderBuffer.utf8(s);
        return true;
    }

    private static int alignmentOf(MetadataValue v) {
        if (v.type() != ValueType.UINT32) {
            throw new IllegalArgumentException("general.alignment must be a uint32, is " + v.typeLabel());
        }
        long a = (Long) v.value();
        if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
            throw new IllegalArgumentException("general.alignment " + a + " is not a power of two up to 1 MiB");
        }
        return (int) a;
    }
}
