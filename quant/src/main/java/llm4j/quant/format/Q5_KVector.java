package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.byteOf;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q5_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q5_KFormat.D;
import static llm4j.quant.format.Q5_KFormat.QH;
import static llm4j.quant.format.Q5_KFormat.QS;
import static llm4j.quant.format.Q5_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K · F32 with the Vector API: as {@link Q4_KVector}, with the fifth level bit of sub-block j
 * taken from bit j of qh and moved to bit 4 in byte lanes.
 */
final class Q5_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte ONE_BIT = 1;

    private Q5_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector minAcc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            long s0 = w.get(LE_LONG, blk + SCALES);
            int s8 = w.get(LE_INT, blk + SCALES + 8);
            long scales = scalesK4(s0, s8);
            long mins = minsK4(s0, s8);
            int xBlock = xOffset + b * QK_K;
            for (int j = 0; j < 8; j++) {
                long qs = blk + QS + 32 * (j >> 1);
                int nibble = 4 * (j & 1);
                FloatVector dot = FloatVector.zero(F);
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < 32; k += BL) {
                    ByteVector low = shiftRight(load(w, qs + k), nibble).and(LOW_NIBBLE);
                    ByteVector high = shiftLeft(shiftRight(load(w, blk + QH + k), j).and(ONE_BIT), 4);
                    ByteVector q = low.or(high);
                    FloatVector xv = FloatVector.fromArray(F, x, xBlock + 32 * j + k);
                    dot = floats(q, 0).fma(xv, dot);
                    sum = sum.add(xv);
                }
                acc = addScaled(acc, dot, d * byteOf(scales, j));
                minAcc = addScaled(minAcc, sum, dmin * byteOf(mins, j));
            }
        }
        return Vectors.sum(acc.sub(minAcc));
    }
}
