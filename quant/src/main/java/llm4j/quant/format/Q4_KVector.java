package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.minK4;
import static llm4j.quant.format.KQuants.scaleK4;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.ZERO;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.DMIN;
import static llm4j.quant.format.Q4_KFormat.QS;
import static llm4j.quant.format.Q4_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K · F32 with the Vector API. Per pair of 32-value sub-blocks it accumulates Σq·x and Σx in
 * float lanes (levels straight from the nibbles), then adds d·scale·Σq·x and subtracts dmin·min·Σx.
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;

    private Q4_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = ZERO;
        FloatVector minAcc = ZERO;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            float dmin = half(w, blk + DMIN);
            for (int pair = 0; pair < 4; pair++) {
                long q = blk + QS + 32 * pair;
                int xLow = xOffset + b * QK_K + 64 * pair;
                FloatVector dotLow = ZERO;
                FloatVector dotHigh = ZERO;
                FloatVector sumLow = ZERO;
                FloatVector sumHigh = ZERO;
                for (int k = 0; k < 32; k += BL) {
                    ByteVector bytes = load(w, q + k);
                    ByteVector low = bytes.and(LOW_NIBBLE);
                    ByteVector high = shiftRight(bytes, 4).and(LOW_NIBBLE);
                    for (int part = 0; part < PARTS; part++) {
                        int i = xLow + k + part * W;
                        FloatVector xl = FloatVector.fromArray(F, x, i);
                        FloatVector xh = FloatVector.fromArray(F, x, i + 32);
                        dotLow = floats(low, part).fma(xl, dotLow);
                        dotHigh = floats(high, part).fma(xh, dotHigh);
                        sumLow = sumLow.add(xl);
                        sumHigh = sumHigh.add(xh);
                    }
                }
                acc = addScaled(acc, dotLow, d * scaleK4(w, blk + SCALES, 2 * pair));
                acc = addScaled(acc, dotHigh, d * scaleK4(w, blk + SCALES, 2 * pair + 1));
                minAcc = addScaled(minAcc, sumLow, dmin * minK4(w, blk + SCALES, 2 * pair));
                minAcc = addScaled(minAcc, sumHigh, dmin * minK4(w, blk + SCALES, 2 * pair + 1));
            }
        }
        return acc.sub(minAcc).reduceLanes(VectorOperators.ADD);
    }
}
