package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
import static llm4j.quant.kernel.LegacySpecies.LE_SHORT;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;

/**
 * Q5_1 · F32 dot product: 5-bit codes assembled in byte lanes (nibble, plus 16 where the fifth bit
 * is set: a masked add at 16 lanes, a {@link FifthBits} pattern ORed in below), then d·Σ q·x + m·Σ x
 * per block as in Q4_1.
 */
public final class Q5_1Kernel {

    private static final int BLOCK_BYTES = 24;
    private static final int M = 2;
    private static final int QH = 4;
    private static final int QS = 8;
    private static final int HALF = QK / 2;
    /** As in {@link Q5_0Kernel}: lane masks from qh only where they are one kmov and the table is not one load. */
    private static final boolean LANE_MASKS = L == HALF;

    private Q5_1Kernel() {
    }

    /** One block per iteration, written out with Vector API calls only, for the reasons given in {@link Q5_0Kernel#dot}. */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector codesTimesX = FloatVector.zero(F);
            FloatVector sumX = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                if (LANE_MASKS) { // k is 0: one load is the whole block
                    low = low.add((byte) 16, VectorMask.fromLong(B, qh));
                    high = high.add((byte) 16, VectorMask.fromLong(B, qh >>> HALF));
                } else {
                    low = low.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k)));
                    high = high.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k + HALF)));
                }
                FloatVector xLow = FloatVector.fromArray(F, x, xOffset + k);
                FloatVector xHigh = FloatVector.fromArray(F, x, xOffset + k + HALF);
                codesTimesX = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(xLow, codesTimesX);
                codesTimesX = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(xHigh, codesTimesX);
                sumX = sumX.add(xLow).add(xHigh);
            }
            acc = codesTimesX.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset))), acc);
            acc = sumX.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset + M))), acc);
        }
        // the accumulator's class made known to the sum (see Q5_0Kernel)
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }
}
