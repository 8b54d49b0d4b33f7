package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minK4;
import static llm4j.quant.format.KVectors.scaleK4;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.QS;
import static llm4j.quant.format.Q4_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K · F32 with the Vector API, one 32-value sub-block at a time: it accumulates Σq·x and Σx in
 * float lanes (levels straight from the nibbles), then adds d·scale·Σq·x and subtracts
 * dmin·min·Σx.
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;

    private Q4_KVector() {
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
            int xBlock = xOffset + b * QK_K;
            // sub-block j covers values 32j..: the low (even j) or high (odd j) nibbles of qs[32·(j/2)..]
            for (int j = 0; j < 8; j++) {
                long qs = blk + QS + 32 * (j >> 1);
                int nibble = 4 * (j & 1);
                FloatVector dot = FloatVector.zero(F);
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < 32; k += BL) {
                    ByteVector q = shiftRight(load(w, qs + k), nibble).and(LOW_NIBBLE);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xBlock + 32 * j + k + part * W);
                        dot = floats(q, part).fma(xv, dot);
                        sum = sum.add(xv);
                    }
                }
                acc = addScaled(acc, dot, d * scaleK4(s0, s8, j));
                minAcc = addScaled(minAcc, sum, dmin * minK4(s0, s8, j));
            }
        }
        return Vectors.sum(acc.sub(minAcc));
    }
}
