package llm4j.loader.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import llm4j.loader.ModelFormatException;

/**
 * Little-endian reads from a mapped file that never step past its end: every read checks the
 * remaining bytes first and reports a short file as a {@link ModelFormatException} at the offset.
 */
final class ByteCursor {

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int NO_INDEX = -1;

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private final DecodeBudget budget;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;

    ByteCursor(Path file, MemorySegment segment, DecodeBudget budget) {
        this.file = file;
        this.segment = segment;
        this.size = segment.byteSize();
        this.budget = budget;
    }

    DecodeBudget budget() {
        return budget;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    ModelFormatException error(String problem) {
        return new ModelFormatException(file, position, problem);
    }

    ModelFormatException error(long at, String problem) {
        return new ModelFormatException(file, at, problem);
    }

    /** Fails unless {@code bytes} more bytes are available ({@code what} names them in the message). */
    void require(long bytes, String what) throws ModelFormatException {
        require(bytes, what, NO_INDEX, "");
    }

    /**
     * As {@link #require(long, String)} for part {@code suffix} of element {@code index} of
     * {@code what}; the label is only built when it is needed, which matters for token arrays.
     */
    private void require(long bytes, String what, int index, String suffix) throws ModelFormatException {
        if (bytes < 0 || bytes > remaining()) {
            throw error("file ends inside " + label(what, index) + suffix + " (needs " + Long.toUnsignedString(bytes)
                    + " bytes, " + remaining() + " left)");
        }
    }

    private static String label(String what, int index) {
        return index == NO_INDEX ? what : what + "[" + index + "]";
    }

    byte i8(String what) throws ModelFormatException {
        require(1, what);
        return segment.get(ValueLayout.JAVA_BYTE, position++);
    }

    short i16(String what) throws ModelFormatException {
        require(2, what);
        short v = segment.get(U16, position);
        position += 2;
        return v;
    }

    int i32(String what) throws ModelFormatException {
        require(4, what);
        int v = segment.get(U32, position);
        position += 4;
        return v;
    }

    long i64(String what) throws ModelFormatException {
        require(8, what);
        long v = segment.get(U64, position);
        position += 8;
        return v;
    }

    float f32(String what) throws ModelFormatException {
        require(4, what);
        float v = segment.get(F32, position);
        position += 4;
        return v;
    }

    double f64(String what) throws ModelFormatException {
        require(8, what);
        double v = segment.get(F64, position);
        position += 8;
        return v;
    }

    /** A GGUF string: uint64 byte length, then UTF-8 bytes (validated, never replaced). */
    String string(String what) throws ModelFormatException {
        return string(what, NO_INDEX);
    }

    /** Element {@code index} of the string array {@code what}. */
    String string(String what, int index) throws ModelFormatException {
        long start = position;
        require(8, what, index, " length");
        long length = segment.get(U64, position);
        position += 8;
        require(length, what, index, "");
        if (length > Integer.MAX_VALUE - 8) {
            throw error(start, label(what, index) + " is " + Long.toUnsignedString(length) + " bytes long");
        }
        // decoding makes at most one UTF-16 char (two bytes) per input byte
        budget.charge(1, DecodeBudget.STRING_OVERHEAD + 2 * length, start, what);
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        String s = isAscii(bytes) ? new String(bytes, StandardCharsets.ISO_8859_1) : utf8(bytes, what, index);
        position += length;
        return s;
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The JDK's own UTF-8 constructor (several times faster than a CharsetDecoder on byte-level BPE vocabularies,
     * whose tokens are mostly non-ASCII) replaces malformed, overlong and surrogate encodings with U+FFFD; only a
     * string that then holds U+FFFD, a replacement or a genuine one, goes through the strict decoder.
     */
    private String utf8(byte[] bytes, String what, int index) throws ModelFormatException {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.indexOf('\uFFFD') < 0 ? s : decodeUtf8(bytes, what, index);
    }

    /** Strict UTF-8: malformed, overlong and surrogate encodings are errors, never replaced. */
    private String decodeUtf8(byte[] bytes, String what, int index) throws ModelFormatException {
        try {
            return utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw error(position, label(what, index) + " is not valid UTF-8");
        }
    }

    void skip(long bytes, String what) throws ModelFormatException {
        require(bytes, what);
        position += bytes;
    }

    void seek(long to) {
        position = to;
    }
}
