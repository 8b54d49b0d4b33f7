package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.L;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Turns the fifth bits of Q5 codes (bit j of the block's 32-bit word qh belongs to element j) into
 * byte lanes to OR into the nibbles. The L bits of one load index a table of lane patterns, so one
 * vector load replaces a broadcast-mask-compare-blend sequence (Q5_0 at 256 bits: 4.4 to 5.4
 * Gelem/s; a broadcast-and-shuffle spread was slower still).
 */
final class FifthBits {

    /** Up to 8 lanes: one table row per value of the L bits. Wider: two 8-lane rows side by side. */
    private static final int TABLE_LANES = Math.min(L, 8);
    /** Bytes per table row: a whole {@link LegacySpecies#B} vector up to 8 lanes (16 at L = 4), else 8. */
    private static final int ROW = L <= 8 ? B.length() : 8;
    private static final byte[] SET_TO_16 = patterns((byte) 0x10, (byte) 0);
    /** For Q5_0's signed codes: a clear fifth bit means q - 16 = nibble - 16, i.e. top four bits set. */
    private static final byte[] CLEAR_TO_MINUS_16 = patterns((byte) 0, (byte) 0xF0);
    private static final long[] SET_TO_16_WORDS = words(SET_TO_16);
    private static final long[] CLEAR_TO_MINUS_16_WORDS = words(CLEAR_TO_MINUS_16);
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, B.vectorShape());

    private FifthBits() {
    }

    /** 0x10 in the lanes of elements {@code start..start+L-1} whose fifth bit is set, else 0. */
    static ByteVector plus16(int qh, int start) {
        return spread(qh >>> start, SET_TO_16, SET_TO_16_WORDS);
    }

    /** 0 in the lanes whose fifth bit is set, 0xF0 (-16 when ORed into a nibble) where it is clear. */
    static ByteVector minus16(int qh, int start) {
        return spread(qh >>> start, CLEAR_TO_MINUS_16, CLEAR_TO_MINUS_16_WORDS);
    }

    private static ByteVector spread(int bits, byte[] patterns, long[] words) {
        if (L <= 8) {
            return ByteVector.fromArray(B, patterns, ROW * (bits & ((1 << L) - 1)));
        }
        // 16 lanes: two 8-lane table rows side by side
        return LongVector.zero(LONGS).withLane(0, words[bits & 0xFF]).withLane(1, words[(bits >>> 8) & 0xFF]).reinterpretAsBytes();
    }

    /** Row v, lane i (i below TABLE_LANES): {@code bitSet} if bit i of v is set, else {@code bitClear}. */
    private static byte[] patterns(byte bitSet, byte bitClear) {
        int rows = 1 << TABLE_LANES;
        byte[] table = new byte[rows * ROW];
        for (int v = 0; v < rows; v++) {
            for (int i = 0; i < TABLE_LANES; i++) {
                table[ROW * v + i] = ((v >>> i) & 1) != 0 ? bitSet : bitClear;
            }
        }
        return table;
    }

    /** The 8-lane rows as little-endian longs, for the 16-lane case. */
    private static long[] words(byte[] patterns) {
        int rows = patterns.length / ROW;
        long[] words = new long[rows];
        for (int v = 0; v < rows; v++) {
            for (int i = 0; i < 8 && i < ROW; i++) {
                words[v] |= (patterns[ROW * v + i] & 0xFFL) << (8 * i);
            }
        }
        return words;
    }
}
