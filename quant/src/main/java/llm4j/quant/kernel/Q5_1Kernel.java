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
 * Q5_1 · F32 dot product: 5-bit codes assembled in byte lanes (nibble, plus 16 where the fifth bit
 * is set), then d·Σ q·x + m·Σ x per block as in Q4_1.
 */
public final class Q5_1Kernel {

    private static final int BLOCK_BYTES = 24;
    private static final int M = 2;
    private static final int QH = 4;
    private static final int QS = 8;

    private Q5_1Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector codesTimesX = FloatVector.zero(F);
            FloatVector sumX = FloatVector.zero(F);
            for (int k = 0; k < QK / 2; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                FloatVector xLow = FloatVector.fromArray(F, x, xOffset + k);
                FloatVector xHigh = FloatVector.fromArray(F, x, xOffset + k + QK / 2);
                ByteVector low = Nibbles.low(packed).or(FifthBits.plus16(qh, k));
                ByteVector high = Nibbles.high(packed).or(FifthBits.plus16(qh, k + QK / 2));
                codesTimesX = LegacySpecies.widen(low).fma(xLow, codesTimesX);
                codesTimesX = LegacySpecies.widen(high).fma(xHigh, codesTimesX);
                sumX = sumX.add(xLow).add(xHigh);
            }
            acc = codesTimesX.fma(LegacySpecies.halfBroadcast(w, offset), acc);
            acc = sumX.fma(LegacySpecies.halfBroadcast(w, offset + M), acc);
        }
        return Vectors.sum(acc);
    }
}
