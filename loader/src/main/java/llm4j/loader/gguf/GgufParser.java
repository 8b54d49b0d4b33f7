package llm4j.loader.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.quant.GgmlType;

/**
 * Reads the GGUF header (v2 and v3): metadata key/values, tensor infos, alignment. Nothing is
 * allocated in proportion to a declared count before the file is known to hold that many bytes.
 */
final class GgufParser {

    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 8;
    /** Sane limits far above any real model, so a hostile header cannot make us allocate gigabytes. */
    static final long MAX_KEYS = 1 << 20;
    static final long MAX_TENSORS = 1 << 20;
    static final long MAX_ARRAY_LENGTH = 1 << 24;
    /**
     * Heap the decoded header may fill (keys, values, tensor infos). The largest real vocabularies
     * (about 260k tokens plus merges) decode to some 20 MiB, so this leaves ten times that headroom.
     */
    static final long MAX_DECODED_BYTES = 256L << 20;

    private final Path path;
    private final ByteCursor in;

    private GgufParser(Path path, MemorySegment mapping) {
        this.path = path;
        this.in = new ByteCursor(path, mapping, new DecodeBudget(path, MAX_DECODED_BYTES));
    }

    static GgufFile open(Path path) throws ModelFormatException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = map(path, arena);
            GgufFile file = new GgufParser(path, mapping).parse(arena, mapping);
            arena = null; // owned by the file now
            return file;
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    static MemorySegment map(Path path, Arena arena) throws ModelFormatException {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path, -1, "is a directory, not a model file");
        }
        ModelFiles.requireRegularFile(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new ModelFormatException(path, -1, "file is empty");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path, -1, "no such file");
        } catch (IOException e) {
            String why = Files.isDirectory(path) ? "is a directory" : "cannot be read: " + e.getMessage();
            throw new ModelFormatException(path, -1, why, e);
        }
    }

    private GgufFile parse(Arena arena, MemorySegment mapping) throws ModelFormatException {
        int magic = in.i32("the GGUF magic");
        if (magic != MAGIC) {
            throw in.error(0, "not a GGUF file (magic bytes " + String.format("%08x", Integer.reverseBytes(magic)) + ")");
        }
        int version = in.i32("the GGUF version");
        if (version == 1) {
            throw in.error(4, "GGUF version 1 is obsolete; convert the file with a current llama.cpp");
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian GGUF; only little-endian files are supported)" : "";
            throw in.error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + hint);
        }
        long tensorCount = in.i64("the tensor count");
        long kvCount = in.i64("the metadata count");
        // the smallest key/value is 13 bytes, the smallest tensor info 24: bound counts by the file
        if (Long.compareUnsigned(kvCount, Math.min(MAX_KEYS, in.remaining() / 13)) > 0) {
            throw in.error(16, "metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
        }
        if (Long.compareUnsigned(tensorCount, Math.min(MAX_TENSORS, in.remaining() / 24)) > 0) {
            throw in.error(8, "tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
        }

        Map<String, MetadataValue> values = new LinkedHashMap<>();
        Map<String, Long> offsets = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key " + i);
            in.budget().charge(1, DecodeBudget.KEY_VALUE_ENTRY, at, "metadata " + key);
            int typeId = in.i32("the type of " + key);
            MetadataValue value = readValue(key, typeId, 0);
            if (values.putIfAbsent(key, value) != null) {
                throw in.error(at, "duplicate metadata key " + key);
            }
            offsets.put(key, at);
        }
        Metadata metadata = new Metadata(path, values, offsets);
        int alignment = alignment(values.get("general.alignment"));

        List<TensorInfo> infos = new ArrayList<>((int) tensorCount);
        Map<String, TensorInfo> seen = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            TensorInfo info = readTensorInfo(i);
            if (seen.putIfAbsent(info.name, info) != null) {
                throw in.error(info.headerOffset, "duplicate tensor name " + info.name);
            }
            infos.add(info);
        }
        long dataOffset = alignUp(in.position(), alignment);
        List<TensorView> tensors = slice(mapping, infos, dataOffset, alignment);
        Map<String, TensorView> byName = new HashMap<>();
        for (TensorView t : tensors) {
            byName.put(t.name(), t);
        }
        return new GgufFile(path, arena, mapping, version, alignment, dataOffset, metadata, tensors, byName);
    }

    private int alignment(MetadataValue v) throws ModelFormatException {
        if (v == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (v.type() != ValueType.UINT32) {
            throw new ModelFormatException(path, -1, "general.alignment has type " + v.typeLabel() + ", expected uint32");
        }
        long a = (Long) v.value();
        if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
            throw new ModelFormatException(path, -1, "general.alignment " + a + " is not a power of two up to 1 MiB");
        }
        return (int) a;
    }

    private MetadataValue readValue(String key, int typeId, int depth) throws ModelFormatException {
        ValueType type = ValueType.byId(typeId);
        if (type == null) {
            throw in.error(in.position() - 4, "metadata " + key + " has unknown value type " + Integer.toUnsignedString(typeId));
        }
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> MetadataValue.of(type, integer(type, key));
            case FLOAT32 -> MetadataValue.of(type, in.f32(key));
            case FLOAT64 -> MetadataValue.of(type, in.f64(key));
            case BOOL -> MetadataValue.of(type, bool(key));
            case STRING -> MetadataValue.of(type, in.string(key));
            case ARRAY -> readArray(key, depth);
        };
    }

    /** An integer of {@code type}, unsigned types widened without sign extension. */
    private long integer(ValueType type, String key) throws ModelFormatException {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedInt(in.i8(key));
            case INT8 -> in.i8(key);
            case UINT16 -> Short.toUnsignedInt(in.i16(key));
            case INT16 -> in.i16(key);
            case UINT32 -> Integer.toUnsignedLong(in.i32(key));
            case INT32 -> in.i32(key);
            case UINT64, INT64 -> in.i64(key);
            default -> throw new IllegalArgumentException(type + " is not an integer type");
        };
    }

    private boolean bool(String key) throws ModelFormatException {
        byte b = in.i8(key);
        if (b != 0 && b != 1) {
            throw in.error(in.position() - 1, "metadata " + key + " is a bool with value " + b);
        }
        return b == 1;
    }

    private MetadataValue readArray(String key, int depth) throws ModelFormatException {
        if (depth >= MAX_NESTING) {
            throw in.error("metadata " + key + " nests arrays deeper than " + MAX_NESTING);
        }
        int elementId = in.i32("the element type of " + key);
        ValueType element = ValueType.byId(elementId);
        if (element == null) {
            throw in.error(in.position() - 4, "metadata " + key + " is an array of unknown type " + Integer.toUnsignedString(elementId));
        }
        long countAt = in.position();
        long count = in.i64("the length of " + key);
        long minBytes = switch (element) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> 12;
        };
        if (Long.compareUnsigned(count, Math.min(MAX_ARRAY_LENGTH, in.remaining() / minBytes)) > 0) {
            throw in.error(countAt, "metadata " + key + " declares " + Long.toUnsignedString(count)
                    + " elements, more than the file holds or the limit of " + MAX_ARRAY_LENGTH);
        }
        long each = switch (element) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64, FLOAT64 -> Long.BYTES;
            case FLOAT32 -> Float.BYTES;
            case BOOL -> 1;
            case STRING -> 8; // the reference; each string charges its own bytes as it is read
            case ARRAY -> DecodeBudget.NESTED_ARRAY;
        };
        in.budget().charge(count, each, countAt, "metadata " + key);
        int n = (int) count;
        Object values = switch (element) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = integer(element, key);
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f32(key);
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f64(key);
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = bool(key);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.string(key, i);
                }
                yield a;
            }
            case ARRAY -> {
                List<MetadataValue> a = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    a.add(readArray(key + "[" + i + "]", depth + 1));
                }
                yield a;
            }
        };
        return MetadataValue.array(element, values);
    }

    private record TensorInfo(String name, long headerOffset, long[] shape, GgmlType type, long relativeOffset, long bytes) {
    }

    private TensorInfo readTensorInfo(long index) throws ModelFormatException {
        long at = in.position();
        String name = in.string("the name of tensor " + index);
        in.budget().charge(1, DecodeBudget.TENSOR_INFO, at, "tensor " + name);
        int dims = in.i32("the dimension count of " + name);
        if (dims < 1 || dims > MAX_DIMS) {
            throw in.error(at, "tensor " + name + " has " + Integer.toUnsignedString(dims) + " dimensions (1 to " + MAX_DIMS + " allowed)");
        }
        long[] shape = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++) {
            shape[d] = in.i64("the shape of " + name);
            if (shape[d] <= 0) {
                throw in.error(at, "tensor " + name + " has dimension " + d + " of size " + Long.toUnsignedString(shape[d]));
            }
            try {
                elements = Math.multiplyExact(elements, shape[d]);
            } catch (ArithmeticException e) {
                throw in.error(at, "tensor " + name + " element count overflows");
            }
        }
        int typeId = in.i32("the type of " + name);
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) {
            throw in.error(at, "tensor " + name + " has unknown ggml type id " + Integer.toUnsignedString(typeId));
        }
        if (shape[0] % type.blockSize() != 0) {
            throw in.error(at, "tensor " + name + " has rows of " + shape[0] + " elements, not a multiple of "
                    + type.name() + "'s block size " + type.blockSize());
        }
        long bytes;
        try {
            bytes = type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw in.error(at, "tensor " + name + " byte size overflows");
        }
        long offset = in.i64("the data offset of " + name);
        return new TensorInfo(name, at, shape, type, offset, bytes);
    }

    private List<TensorView> slice(MemorySegment mapping, List<TensorInfo> infos, long dataOffset, int alignment)
            throws ModelFormatException {
        long dataSize = mapping.byteSize() - dataOffset;
        List<TensorView> views = new ArrayList<>(infos.size());
        for (TensorInfo t : infos) {
            if (t.relativeOffset % alignment != 0) {
                throw in.error(t.headerOffset, "tensor " + t.name + " data offset " + Long.toUnsignedString(t.relativeOffset)
                        + " is not aligned to " + alignment);
            }
            if (t.relativeOffset < 0 || dataSize < 0 || t.relativeOffset > dataSize || t.bytes > dataSize - t.relativeOffset) {
                throw in.error(t.headerOffset, "tensor " + t.name + " data (" + t.bytes + " bytes at data offset "
                        + Long.toUnsignedString(t.relativeOffset) + ") lies outside the file");
            }
            long absolute = dataOffset + t.relativeOffset;
            views.add(new TensorView(t.name, t.type, t.shape, absolute, mapping.asSlice(absolute, t.bytes)));
        }
        List<TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(TensorInfo::relativeOffset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1);
            TensorInfo next = byOffset.get(i);
            if (prev.relativeOffset + prev.bytes > next.relativeOffset) {
                throw in.error(next.headerOffset, "tensor " + next.name + " overlaps tensor " + prev.name);
            }
        }
        return views;
    }

    static long alignUp(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
