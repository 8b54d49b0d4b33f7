package llm4j.testdata.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites the metadata of a GGUF file while keeping its tensor infos and tensor data byte for
 * byte: the tool for making a real model declare impossible hyper-parameters, wrong-typed keys or
 * hostile values. Tensor offsets are relative to the data section, so re-padding after the new
 * header keeps every tensor where its info says it is.
 */
public final class GgufEditor {

    private record Entry(String key, byte[] encoded) {
    }

    private int version;
    private final List<Entry> entries = new ArrayList<>();
    private long tensorCount;
    private byte[] tensorInfos;
    private byte[] data;
    private final long alignment;

    private GgufEditor(int version, long alignment) {
        this.version = version;
        this.alignment = alignment;
        this.tensorInfos = new byte[0];
        this.data = new byte[0];
    }

    /** An editor over {@code file}, a valid GGUF file. */
    public static GgufEditor of(byte[] file) {
        GgufLayout layout = GgufLayout.of(file);
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        GgufEditor e = new GgufEditor(in.getInt(4), layout.alignment());
        e.tensorCount = in.getLong(8);
        long start = layout.headerEnd();
        for (long end : layout.kvEnds()) {
            int keyLength = Math.toIntExact(in.getLong((int) start));
            String key = new String(file, (int) start + 8, keyLength, StandardCharsets.UTF_8);
            e.entries.add(new Entry(key, Arrays.copyOfRange(file, (int) start, (int) end)));
            start = end;
        }
        long infosEnd = layout.tensorInfoEnds().isEmpty() ? start : layout.tensorInfoEnds().getLast();
        e.tensorInfos = Arrays.copyOfRange(file, (int) start, (int) infosEnd);
        e.data = Arrays.copyOfRange(file, (int) Math.min(layout.dataStart(), file.length), file.length);
        return e;
    }

    /** An empty GGUF v3 file: no metadata, no tensors. */
    public static GgufEditor empty() {
        return new GgufEditor(3, 32);
    }

    public GgufEditor version(int v) {
        this.version = v;
        return this;
    }

    /** Replaces the value of {@code key} where it stands, or appends the pair. */
    public GgufEditor set(String key, GgufValue value) {
        byte[] encoded = encode(key, value);
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).key.equals(key)) {
                entries.set(i, new Entry(key, encoded));
                return this;
            }
        }
        entries.add(new Entry(key, encoded));
        return this;
    }

    /** Appends the pair even when the key is already there (a duplicate key). */
    public GgufEditor append(String key, GgufValue value) {
        entries.add(new Entry(key, encode(key, value)));
        return this;
    }

    /** Appends a pair whose key is raw bytes, valid UTF-8 or not. */
    public GgufEditor appendRawKey(byte[] key, GgufValue value) {
        byte[] length = GgufValue.le(8).putLong(key.length).array();
        entries.add(new Entry("?", GgufValue.concat(GgufValue.concat(length, key), value.encoded())));
        return this;
    }

    public GgufEditor remove(String key) {
        entries.removeIf(e -> e.key.equals(key));
        return this;
    }

    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(GgufValue.le(24).putInt(0x46554747).putInt(version).putLong(tensorCount)
                .putLong(entries.size()).array());
        for (Entry e : entries) {
            out.writeBytes(e.encoded);
        }
        out.writeBytes(tensorInfos);
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] encode(String key, GgufValue value) {
        byte[] name = GgufValue.string(key).payload();
        return GgufValue.concat(name, value.encoded());
    }
}
