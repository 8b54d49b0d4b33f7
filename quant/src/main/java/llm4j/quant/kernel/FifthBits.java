package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.L;

/**
 * Byte-lane patterns for the fifth bits of Q5 codes at up to 8 lanes (bit j of a block's 32-bit
 * word qh belongs to element j): the L bits of one load index a table row, so one vector load
 * replaces a broadcast-mask-compare-blend sequence (Q5_0 at 256 bits: 4.4 to 5.4 Gelem/s; a
 * broadcast-and-shuffle spread was slower still). 512-bit kernels turn the bits into a lane mask
 * instead ({@code VectorMask.fromLong}, one kmov), see docs/kernels-legacy.md. The kernels read
 * the tables with {@code ByteVector.fromArray} themselves: a helper returning the vector may be
 * compiled on its own first, and then its vector is boxed at every call.
 */
final class FifthBits {

    /** Lanes a table row covers (the tables are built but unused at 16 lanes). */
    private static final int TABLE_LANES = Math.min(L, 8);
    /** Bytes per table row: a whole {@link LegacySpecies#B} vector (16 bytes at L = 4). */
    private static final int ROW = B.length();
    /** For Q5_1's unsigned codes: 0x10 where the fifth bit is set, else 0. */
    static final byte[] SET_TO_16 = patterns((byte) 0x10, (byte) 0);
    /** For Q5_0's signed codes: a clear fifth bit means q - 16 = nibble - 16, i.e. top four bits set. */
    static final byte[] CLEAR_TO_MINUS_16 = patterns((byte) 0, (byte) 0xF0);

    private FifthBits() {
    }

    /** Offset of the table row for the fifth bits of elements {@code start..start+L-1}. */
    static int row(int qh, int start) {
        return ROW * ((qh >>> start) & ((1 << TABLE_LANES) - 1));
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
}
