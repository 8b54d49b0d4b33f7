package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q8_0 · F32 dot product: per block, the signed bytes are widened to float lanes and multiplied
 * into a block sum, which is scaled by d once.
 */
public final class Q8_0Kernel {

    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < QK; k += L) {
                FloatVector q = LegacySpecies.widen(LegacySpecies.loadBytes(w, offset + QS + k));
                block = q.fma(FloatVector.fromArray(F, x, xOffset + k), block);
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }
}
