package llm4j.quant.format;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.format.LegacyBlocks.LE_INT;
import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

/**
 * The 5-bit code layout shared by Q5_0 and Q5_1: a little-endian word qh whose bit j is element
 * j's fifth bit, then 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31.
 */
final class FiveBitCodes {

    private FiveBitCodes() {
    }

    /** Element j's code; {@code qh} is the block's already-read high-bit word. */
    static int code(MemorySegment src, long qsOffset, int qh, int j) {
        int packed = src.get(JAVA_BYTE, qsOffset + (j % 16));
        int low = (j < 16 ? packed : packed >> 4) & 0x0F;
        return low | ((qh >>> j) & 1) << 4;
    }

    static int highBits(MemorySegment src, long qhOffset) {
        return src.get(LE_INT, qhOffset);
    }

    /** Stores 32 codes (each 0..31) as qh and nibbles. */
    static void pack(int[] codes, MemorySegment dst, long qhOffset, long qsOffset) {
        int qh = 0;
        for (int j = 0; j < QK; j++) {
            qh |= ((codes[j] & 0x10) >>> 4) << j;
        }
        dst.set(LE_INT, qhOffset, qh);
        for (int j = 0; j < QK / 2; j++) {
            dst.set(JAVA_BYTE, qsOffset + j, (byte) ((codes[j] & 0x0F) | (codes[j + QK / 2] & 0x0F) << 4));
        }
    }
}
