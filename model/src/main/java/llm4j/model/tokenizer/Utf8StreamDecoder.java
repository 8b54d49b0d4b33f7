package llm4j.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns token bytes into text as they are generated. A token may end in the middle of a multi-byte character
 * (byte-fallback and byte-level tokens often do), so bytes of an unfinished character are held back until the
 * character completes; invalid bytes become U+FFFD exactly as decoding all bytes at once would make them.
 * Not thread-safe: one decoder per output stream.
 */
public final class Utf8StreamDecoder {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Bytes of a character still waiting for its continuation bytes (at most 3). */
    private byte[] pending = new byte[0];

    /** The text completed by {@code bytes}; possibly empty. */
    public String feed(byte[] bytes) {
        return decode(bytes, false);
    }

    /** Whatever is still held back, as U+FFFD for the unfinished character; the decoder is then empty again. */
    public String flush() {
        String rest = decode(new byte[0], true);
        decoder.reset();
        return rest;
    }

    /** Whether bytes of an unfinished character are held back. */
    public boolean hasPending() {
        return pending.length > 0;
    }

    private String decode(byte[] bytes, boolean endOfInput) {
        byte[] all = Arrays.copyOf(pending, pending.length + bytes.length);
        System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        ByteBuffer in = ByteBuffer.wrap(all);
        // each byte yields at most one char, except a 4-byte sequence (two chars), so this always suffices
        CharBuffer out = CharBuffer.allocate(all.length + 1);
        CoderResult result = decoder.decode(in, out, endOfInput);
        if (endOfInput && result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError() || result.isOverflow()) {
            throw new IllegalStateException("UTF-8 decoding stopped with " + result); // cannot happen with REPLACE
        }
        pending = Arrays.copyOfRange(all, in.position(), all.length);
        return out.flip().toString();
    }
}
