package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q4_0 · F32 dot product. Each load of L packed bytes yields two runs of elements: low nibbles are
 * elements k.., high nibbles elements 16 + k... Both are re-centred (q - 8) in byte lanes, widened
 * to floats and multiplied into a block sum that is scaled by d once.
 */
public final class Q4_0Kernel {

    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;

    private Q4_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < QK / 2; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                FloatVector low = LegacySpecies.widen(Nibbles.low(packed).sub((byte) 8));
                FloatVector high = LegacySpecies.widen(Nibbles.high(packed).sub((byte) 8));
                block = low.fma(FloatVector.fromArray(F, x, xOffset + k), block);
                block = high.fma(FloatVector.fromArray(F, x, xOffset + k + QK / 2), block);
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }
}
