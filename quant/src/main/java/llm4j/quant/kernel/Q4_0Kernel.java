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
 * Q4_0 · F32 dot product. Each load of packed bytes yields two runs of elements: low nibbles are
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
            for (int k = 0; k < QK / 2; k += BYTES) {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, offset + QS + k, LE);
                ByteVector low = Nibbles.low(packed).sub((byte) 8);
                ByteVector high = Nibbles.high(packed).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    int xi = xOffset + k + p * L;
                    block = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xi), block);
                    block = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xi + QK / 2), block);
                }
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }
}
