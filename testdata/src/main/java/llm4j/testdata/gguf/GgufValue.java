package llm4j.testdata.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A metadata value as GGUF stores it: the type id and the encoded payload that follows it. Tests
 * build any value with these factories, including ones a writer would never produce (strings that
 * are not UTF-8, arrays whose length field lies).
 */
public record GgufValue(int type, byte[] payload) {

    public static final int UINT8 = 0;
    public static final int INT8 = 1;
    public static final int UINT16 = 2;
    public static final int INT16 = 3;
    public static final int UINT32 = 4;
    public static final int INT32 = 5;
    public static final int FLOAT32 = 6;
    public static final int BOOL = 7;
    public static final int STRING = 8;
    public static final int ARRAY = 9;
    public static final int UINT64 = 10;
    public static final int INT64 = 11;
    public static final int FLOAT64 = 12;

    public static GgufValue u8(int v) {
        return new GgufValue(UINT8, new byte[] {(byte) v});
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(BOOL, new byte[] {(byte) (v ? 1 : 0)});
    }

    public static GgufValue u32(long v) {
        return new GgufValue(UINT32, le(4).putInt((int) v).array());
    }

    public static GgufValue i32(int v) {
        return new GgufValue(INT32, le(4).putInt(v).array());
    }

    public static GgufValue u64(long v) {
        return new GgufValue(UINT64, le(8).putLong(v).array());
    }

    public static GgufValue i64(long v) {
        return new GgufValue(INT64, le(8).putLong(v).array());
    }

    public static GgufValue f32(float v) {
        return new GgufValue(FLOAT32, le(4).putFloat(v).array());
    }

    public static GgufValue f64(double v) {
        return new GgufValue(FLOAT64, le(8).putDouble(v).array());
    }

    public static GgufValue string(String s) {
        return stringBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A string of raw bytes, valid UTF-8 or not. */
    public static GgufValue stringBytes(byte[] bytes) {
        return new GgufValue(STRING, concat(le(8).putLong(bytes.length).array(), bytes));
    }

    /** An array of {@code elements}, all of type {@code elementType}, with a truthful length. */
    public static GgufValue array(int elementType, GgufValue... elements) {
        return arrayDeclaring(elementType, elements.length, elements);
    }

    /** An array whose length field says {@code declaredLength} whatever follows. */
    public static GgufValue arrayDeclaring(int elementType, long declaredLength, GgufValue... elements) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(12).putInt(elementType).putLong(declaredLength).array());
        for (GgufValue e : elements) {
            out.writeBytes(e.payload);
        }
        return new GgufValue(ARRAY, out.toByteArray());
    }

    /** An array of {@code count} zero bytes of a one-byte element type, built without boxing. */
    public static GgufValue zeroBytes(int elementType, int count) {
        byte[] payload = new byte[12 + count];
        le(12).putInt(elementType).putLong(count).flip().get(payload, 0, 12);
        return new GgufValue(ARRAY, payload);
    }

    /** Type id followed by payload, as it sits after a key. */
    public byte[] encoded() {
        return concat(le(4).putInt(type).array(), payload);
    }

    /** "type 4: 08 00 00 00" (payloads past 16 bytes end in "…"), for case names. */
    @Override
    public String toString() {
        StringBuilder hex = new StringBuilder("type " + type + ":");
        for (int i = 0; i < Math.min(16, payload.length); i++) {
            hex.append(String.format(" %02x", payload[i]));
        }
        return payload.length > 16 ? hex + " …" : hex.toString();
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
