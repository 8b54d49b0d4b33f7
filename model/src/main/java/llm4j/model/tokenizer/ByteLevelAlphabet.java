package llm4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-character mapping, which lets a BPE vocabulary of printable strings cover every
 * byte: printable Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for
 * themselves and the other 68 bytes, in order, for U+0100 onwards (so a space is {@code Ġ}, a newline {@code Ċ}).
 */
final class ByteLevelAlphabet {

    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[512];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int nextSubstitute = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) nextSubstitute++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The alphabet character that stands for byte {@code b}. */
    static char charOf(byte b) {
        return CHAR_OF_BYTE[b & 0xFF];
    }

    /** The UTF-8 bytes of {@code text}, one alphabet character per byte. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = charOf(bytes[i]);
        }
        return new String(chars);
    }

    /**
     * The bytes a byte-level token text stands for. Characters outside the alphabet (never produced by the GPT-2
     * mapping) are passed through as their own UTF-8 bytes rather than lost.
     */
    static byte[] decode(String tokenText) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokenText.length());
        for (int i = 0; i < tokenText.length(); ) {
            int cp = tokenText.codePointAt(i);
            int b = cp < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
