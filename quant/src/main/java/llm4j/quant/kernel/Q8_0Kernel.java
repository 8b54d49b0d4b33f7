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
            for (int k = 0; k < QK; k += BYTES) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, offset + QS + k, LE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector wq = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    block = wq.fma(FloatVector.fromArray(F, x, xOffset + k + p * L), block);
                }
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }
}
