package llm4j.loader.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growing little-endian byte buffer for the GGUF header (metadata and tensor infos). */
final class HeaderBuffer {

    private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    private ByteBuffer room(int bytes) {
        if (buf.remaining() < bytes) {
            long needed = (long) buf.position() + bytes;
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("GGUF header larger than 2 GiB");
            }
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * buf.capacity()));
            ByteBuffer bigger = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(buf.flip());
            buf = bigger;
        }
        return buf;
    }

    void u8(int v) {
        room(1).put((byte) v);
    }

    void u16(int v) {
        room(2).putShort((short) v);
    }

    void u32(int v) {
        room(4).putInt(v);
    }

    void u64(long v) {
        room(8).putLong(v);
    }

    void f32(float v) {
        // raw bits: a NaN payload read from a file is written back unchanged
        u32(Float.floatToRawIntBits(v));
    }

    void f64(double v) {
        u64(Double.doubleToRawLongBits(v));
    }

    /** A GGUF string: uint64 byte length, then UTF-8 without terminator. */
    void string(String s) {
        byte[] utf8 = utf8(s);
        u64(utf8.length);
        room(utf8.length).put(utf8);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(int alignment) {
        int pad = (int) (GgufParser.alignUp(buf.position(), alignment) - buf.position());
        room(pad).put(new byte[pad]);
    }

    int size() {
        return buf.position();
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf.array(), buf.position());
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Strict UTF-8: an unpaired surrogate would be written as '?' by String.getBytes and read back changed. */
    static byte[] utf8(String s) {
        if (!hasSurrogate(s)) {
            return s.getBytes(StandardCharsets.UTF_8);  // exact when there is no surrogate to pair
        }
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate): "
                    + (s.length() > 40 ? s.substring(0, 40) + "…" : s));
        }
    }
}
