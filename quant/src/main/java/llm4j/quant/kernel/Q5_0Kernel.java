package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q5_0 · F32 dot product. The signed value q - 16 of a 5-bit code is, as a byte, its low nibble
 * when the fifth bit is set and the low nibble with the top four bits set (-16 + nibble) when it
 * is clear, so one OR with a pattern from {@link FifthBits} re-centres the codes before they are
 * widened to floats.
 */
public final class Q5_0Kernel {

    private static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;

    private Q5_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < QK / 2; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                FloatVector low = LegacySpecies.widen(Nibbles.low(packed).or(FifthBits.minus16(qh, k)));
                FloatVector high = LegacySpecies.widen(Nibbles.high(packed).or(FifthBits.minus16(qh, k + QK / 2)));
                block = low.fma(FloatVector.fromArray(F, x, xOffset + k), block);
                block = high.fma(FloatVector.fromArray(F, x, xOffset + k + QK / 2), block);
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }
}
