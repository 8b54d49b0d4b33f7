package llm4j.quant.kernel;

import llm4j.quant.Vectors;
import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.BYTES;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.PARTS;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1 · F32 dot product, using Σ (q·d + m)·x = d·Σ q·x + m·Σ x: per block one sum of codes times
 * activations and one sum of activations, each scaled once.
 */
public final class Q4_1Kernel {

    private static final int BLOCK_BYTES = 20;
    private static final int M = 2;
    private static final int QS = 4;

    private Q4_1Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector codesTimesX = FloatVector.zero(F);
            FloatVector sumX = FloatVector.zero(F);
            for (int k = 0; k < QK / 2; k += BYTES) {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, offset + QS + k, LE);
                ByteVector low = Nibbles.low(packed);
                ByteVector high = Nibbles.high(packed);
                for (int p = 0; p < PARTS; p++) {
                    int xi = xOffset + k + p * L;
                    FloatVector xLow = FloatVector.fromArray(F, x, xi);
                    FloatVector xHigh = FloatVector.fromArray(F, x, xi + QK / 2);
                    codesTimesX = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p)).fma(xLow, codesTimesX);
                    codesTimesX = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p)).fma(xHigh, codesTimesX);
                    sumX = sumX.add(xLow).add(xHigh);
                }
            }
            acc = codesTimesX.fma(LegacySpecies.halfBroadcast(w, offset), acc);
            acc = sumX.fma(LegacySpecies.halfBroadcast(w, offset + M), acc);
        }
        return Vectors.sum(acc);
    }
}
