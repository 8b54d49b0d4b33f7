package llm4j.testdata.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where every field of a well-formed GGUF file lies: the map fuzz tests use to truncate a file at
 * its section boundaries and to aim mutations at counts, lengths, type ids and offsets.
 *
 * <p>It is a second, deliberately small walker written from the GGUF specification, independent of
 * the loader under test, so that a bug in the loader cannot also hide the boundaries it mishandles.
 * It trusts its input: only real, valid files are given to it.
 */
public final class GgufLayout {

    /** What a field of the file holds. */
    public enum Kind {
        MAGIC, VERSION, TENSOR_COUNT, KV_COUNT,
        KEY_LENGTH, KEY_BYTES, VALUE_TYPE, SCALAR, STRING_LENGTH, STRING_BYTES, ARRAY_TYPE, ARRAY_LENGTH,
        TENSOR_NAME_LENGTH, TENSOR_NAME_BYTES, DIMENSION_COUNT, DIMENSION, TENSOR_TYPE, TENSOR_OFFSET
    }

    /** One field: {@code width} bytes at {@code offset}; {@code label} says whose field it is. */
    public record Field(Kind kind, long offset, int width, String label) {
    }

    private static final int[] SCALAR_WIDTH = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};
    private static final int STRING = 8;
    private static final int ARRAY = 9;

    private final ByteBuffer in;
    private final List<Field> fields = new ArrayList<>();
    private final List<Long> kvEnds = new ArrayList<>();
    private final List<Long> tensorInfoEnds = new ArrayList<>();
    private long headerEnd;
    private long dataStart;
    private long alignment = 32;

    private GgufLayout(byte[] file) {
        this.in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Walks {@code file}, which must be a valid GGUF v2/v3 file. */
    public static GgufLayout of(byte[] file) {
        GgufLayout layout = new GgufLayout(file);
        layout.walk();
        return layout;
    }

    public List<Field> fields() {
        return Collections.unmodifiableList(fields);
    }

    public List<Field> fields(Kind kind) {
        return fields.stream().filter(f -> f.kind() == kind).toList();
    }

    /** End of the fixed header (magic, version, tensor count, key/value count). */
    public long headerEnd() {
        return headerEnd;
    }

    /** End offset of each key/value pair, in file order. */
    public List<Long> kvEnds() {
        return Collections.unmodifiableList(kvEnds);
    }

    /** End offset of each tensor info, in file order. */
    public List<Long> tensorInfoEnds() {
        return Collections.unmodifiableList(tensorInfoEnds);
    }

    /** Start of the tensor data section (after alignment padding). */
    public long dataStart() {
        return dataStart;
    }

    /** The data alignment the file declares (32 unless general.alignment says otherwise). */
    public long alignment() {
        return alignment;
    }

    /** Every section boundary: header end, each pair's end, each tensor info's end, data start. */
    public List<Long> boundaries() {
        List<Long> all = new ArrayList<>();
        all.add(headerEnd);
        all.addAll(kvEnds);
        all.addAll(tensorInfoEnds);
        all.add(dataStart);
        return all;
    }

    private void walk() {
        field(Kind.MAGIC, 4, "header");
        in.getInt();
        field(Kind.VERSION, 4, "header");
        in.getInt();
        field(Kind.TENSOR_COUNT, 8, "header");
        long tensors = in.getLong();
        field(Kind.KV_COUNT, 8, "header");
        long kvs = in.getLong();
        headerEnd = in.position();
        for (long i = 0; i < kvs; i++) {
            String key = string(Kind.KEY_LENGTH, Kind.KEY_BYTES, "key " + i);
            field(Kind.VALUE_TYPE, 4, key);
            int type = in.getInt();
            if (key.equals("general.alignment")) {
                alignment = Integer.toUnsignedLong(in.getInt(in.position()));
            }
            value(key, type);
            kvEnds.add((long) in.position());
        }
        for (long i = 0; i < tensors; i++) {
            String name = string(Kind.TENSOR_NAME_LENGTH, Kind.TENSOR_NAME_BYTES, "tensor " + i);
            field(Kind.DIMENSION_COUNT, 4, name);
            int dims = in.getInt();
            for (int d = 0; d < dims; d++) {
                field(Kind.DIMENSION, 8, name);
                in.getLong();
            }
            field(Kind.TENSOR_TYPE, 4, name);
            in.getInt();
            field(Kind.TENSOR_OFFSET, 8, name);
            in.getLong();
            tensorInfoEnds.add((long) in.position());
        }
        dataStart = (in.position() + alignment - 1) / alignment * alignment;
    }

    private void value(String key, int type) {
        if (type == STRING) {
            string(Kind.STRING_LENGTH, Kind.STRING_BYTES, key);
        } else if (type == ARRAY) {
            field(Kind.ARRAY_TYPE, 4, key);
            int element = in.getInt();
            field(Kind.ARRAY_LENGTH, 8, key);
            long n = in.getLong();
            for (long i = 0; i < n; i++) {
                if (element == STRING || element == ARRAY) {
                    value(key, element);
                } else {
                    // scalar array elements are not listed one by one: a token-score array would
                    // swamp the field list, and the length field is the interesting target
                    in.position(in.position() + SCALAR_WIDTH[element]);
                }
            }
        } else {
            field(Kind.SCALAR, SCALAR_WIDTH[type], key);
            in.position(in.position() + SCALAR_WIDTH[type]);
        }
    }

    private String string(Kind lengthKind, Kind bytesKind, String owner) {
        field(lengthKind, 8, owner);
        int length = Math.toIntExact(in.getLong());
        field(bytesKind, length, owner);
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void field(Kind kind, int width, String label) {
        fields.add(new Field(kind, in.position(), width, label));
    }
}
