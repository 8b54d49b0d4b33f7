package llm4j.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import llm4j.loader.ModelFormatException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * GGUF strings are read with the JDK's replacing UTF-8 constructor and re-decoded strictly only when U+FFFD shows up:
 * on any bytes, the result must be exactly the strict decoder's, and invalid UTF-8 must still be an error.
 */
class ByteCursorUtf8Test {

    @Property(tries = 3000)
    void readsExactlyWhatAStrictDecoderAccepts(@ForAll("utf8ish") byte[] bytes) throws Exception {
        String strict = strict(bytes);
        if (strict == null) {
            assertThrows(ModelFormatException.class, () -> read(bytes));
        } else {
            assertEquals(strict, read(bytes));
        }
    }

    /** Bytes that are mostly valid UTF-8 pieces (ASCII, Ġ, CJK, emoji, U+FFFD) with stray lead, continuation and surrogate bytes. */
    @Provide
    Arbitrary<byte[]> utf8ish() {
        Arbitrary<byte[]> piece = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(3).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.of("Ġ", "語", "😀", "\uFFFD", "é").map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.bytes().map(b -> new byte[] {b}),
                Arbitraries.of(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a surrogate
                        new byte[] {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
                        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80})); // past U+10FFFF
        return piece.list().ofMaxSize(8).map(list -> {
            int n = list.stream().mapToInt(p -> p.length).sum();
            ByteBuffer out = ByteBuffer.allocate(n);
            list.forEach(out::put);
            return out.array();
        });
    }

    private static String strict(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String read(byte[] bytes) throws ModelFormatException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8 + bytes.length);
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, bytes.length);
            MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 8, bytes.length);
            Path file = Path.of("test.gguf");
            return new ByteCursor(file, seg, new DecodeBudget(file, 1 << 20)).string("test.key");
        }
    }
}
