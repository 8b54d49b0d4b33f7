package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.BYTES;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Turns the fifth bits of Q5 codes (bit j of the block's 32-bit word qh belongs to element j) into
 * byte lanes to OR into the nibbles. Each byte of qh covers 8 elements, so a 256-entry table of
 * 8-byte patterns replaces a broadcast-mask-compare-blend sequence with one load (Q5_0 at 256
 * bits: 4.4 to 5.4 Gelem/s; a 16-lane broadcast-and-shuffle spread was 2x slower still).
 */
final class FifthBits {

    /** Pattern byte i is {@code bitSet} where bit i of the index is set, {@code bitClear} elsewhere. */
    private static final byte[] SET_TO_16 = patterns((byte) 0x10, (byte) 0);
    /** For Q5_0's signed codes: a clear fifth bit means q - 16 = nibble - 16, i.e. top four bits set. */
    private static final byte[] CLEAR_TO_MINUS_16 = patterns((byte) 0, (byte) 0xF0);
    private static final long[] SET_TO_16_WORDS = words(SET_TO_16);
    private static final long[] CLEAR_TO_MINUS_16_WORDS = words(CLEAR_TO_MINUS_16);
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, B.vectorShape());

    private FifthBits() {
    }

    /** 0x10 in the lanes of elements {@code start..start+BYTES-1} whose fifth bit is set, else 0. */
    static ByteVector plus16(int qh, int start) {
        return spread(qh >>> start, SET_TO_16, SET_TO_16_WORDS);
    }

    /** 0 in the lanes whose fifth bit is set, 0xF0 (-16 when ORed into a nibble) where it is clear. */
    static ByteVector minus16(int qh, int start) {
        return spread(qh >>> start, CLEAR_TO_MINUS_16, CLEAR_TO_MINUS_16_WORDS);
    }

    private static ByteVector spread(int bits, byte[] patterns, long[] words) {
        if (BYTES == 8) {
            return ByteVector.fromArray(B, patterns, 8 * (bits & 0xFF));
        }
        // 16 lanes: two table words side by side (the API has no 8-lane slice of a 16-lane load)
        return LongVector.zero(LONGS).withLane(0, words[bits & 0xFF]).withLane(1, words[(bits >>> 8) & 0xFF]).reinterpretAsBytes();
    }

    private static byte[] patterns(byte bitSet, byte bitClear) {
        byte[] table = new byte[256 * 8];
        for (int v = 0; v < 256; v++) {
            for (int i = 0; i < 8; i++) {
                table[8 * v + i] = ((v >>> i) & 1) != 0 ? bitSet : bitClear;
            }
        }
        return table;
    }

    private static long[] words(byte[] patterns) {
        long[] words = new long[256];
        for (int v = 0; v < 256; v++) {
            for (int i = 0; i < 8; i++) {
                words[v] |= (patterns[8 * v + i] & 0xFFL) << (8 * i);
            }
        }
        return words;
    }
}
