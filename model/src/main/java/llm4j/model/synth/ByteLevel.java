package llm4j.model.synth;

/**
 * GPT-2's byte-to-unicode spelling of raw bytes: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes are shifted to code points from U+0100 up, in byte order (so a space is "Ġ", U+0120).
 */
final class ByteLevel {

    private ByteLevel() {
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The one-character token text for each byte value 0..255. */
    static String[] alphabet() {
        String[] out = new String[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = String.valueOf((char) (printable(b) ? b : 256 + shifted++));
        }
        return out;
    }

    /** The token text of byte {@code b}. */
    static String symbol(int b) {
        return alphabet()[b];
    }
}
