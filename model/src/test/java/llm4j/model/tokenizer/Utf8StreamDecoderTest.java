package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class Utf8StreamDecoderTest {

    /** Any bytes in any chunks decode as the whole byte string would, invalid bytes included. */
    @Property(tries = 500)
    void chunkedEqualsAllAtOnce(@ForAll("byteChunks") List<byte[]> chunks) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        StringBuilder streamed = new StringBuilder();
        for (byte[] chunk : chunks) {
            all.writeBytes(chunk);
            streamed.append(decoder.feed(chunk));
        }
        streamed.append(decoder.flush());
        assertEquals(new String(all.toByteArray(), StandardCharsets.UTF_8), streamed.toString());
    }

    /** Valid text fed one byte at a time comes out whole: no piece ever holds half a character. */
    @Property(tries = 300)
    void neverEmitsHalfACharacter(@ForAll("text") String text) {
        Assume.that(text.indexOf('\uFFFD') < 0);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        StringBuilder streamed = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            String piece = decoder.feed(new byte[] {b});
            assertFalse(piece.contains("\uFFFD"), "replacement character emitted for a split character");
            if (!piece.isEmpty()) {
                assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), "half a surrogate pair");
            }
            streamed.append(piece);
        }
        assertFalse(decoder.hasPending());
        assertEquals("", decoder.flush());
        assertEquals(text, streamed.toString());
    }

    /** Token by token equals all at once, for real token sequences of both tokenizer kinds. */
    @Property(tries = 300)
    void tokenByTokenEqualsDecodingAllBytes(@ForAll("text") String text) {
        for (Tokenizer tokenizer : List.of(TokenizerFixtures.stories260k(), TokenizerFixtures.smollm2())) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : tokenizer.encode(text, true, false)) {
                byte[] bytes = tokenizer.tokenBytes(id);
                all.writeBytes(bytes);
                streamed.append(decoder.feed(bytes));
            }
            streamed.append(decoder.flush());
            assertEquals(new String(all.toByteArray(), StandardCharsets.UTF_8), streamed.toString());
        }
    }

    /** An unfinished character at the end is held back, then flushed as U+FFFD. */
    @Property(tries = 200)
    void flushReplacesAnUnfinishedCharacter(@ForAll("text") String text, @ForAll @IntRange(min = 1, max = 3) int kept,
                                            @ForAll @IntRange(min = 0x80, max = 0x10FFFF) int codePoint) {
        Assume.that(codePoint < Character.MIN_SURROGATE || codePoint > Character.MAX_SURROGATE);
        byte[] whole = Character.toString(codePoint).getBytes(StandardCharsets.UTF_8);
        Assume.that(kept < whole.length);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        String head = decoder.feed(text.getBytes(StandardCharsets.UTF_8))
                + decoder.feed(Arrays.copyOf(whole, kept));
        assertEquals(text, head);
        assertTrue(decoder.hasPending());
        assertEquals("\uFFFD", decoder.flush());
        assertFalse(decoder.hasPending());
    }

    @Provide
    Arbitrary<List<byte[]>> byteChunks() {
        Arbitrary<Byte> interesting = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.bytes()),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0x80, 0xBF).map(Integer::byteValue)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0xC0, 0xF7).map(Integer::byteValue)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x20, 0x7E).map(Integer::byteValue)));
        Arbitrary<byte[]> chunk = interesting.list().ofMaxSize(6).map(list -> {
            byte[] bytes = new byte[list.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = list.get(i);
            }
            return bytes;
        });
        return Arbitraries.oneOf(chunk.list().ofMaxSize(10), text().map(t -> splitUtf8(t)));
    }

    /** Valid text cut into chunks of 1-3 bytes, so that characters straddle chunk borders. */
    private static List<byte[]> splitUtf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        java.util.ArrayList<byte[]> chunks = new java.util.ArrayList<>();
        for (int i = 0, step = 1; i < bytes.length; i += step, step = step % 3 + 1) {
            chunks.add(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + step)));
        }
        return chunks;
    }

    @Provide
    Arbitrary<String> text() {
        return RoundTripTest.unicodeText();
    }
}
