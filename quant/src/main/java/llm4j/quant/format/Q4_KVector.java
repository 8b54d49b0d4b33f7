package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.byteOf;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.QS;
import static llm4j.quant.format.Q4_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q4_K · F32 with the Vector API, one pair of 32-value sub-blocks at a time (they share 32 qs
 * bytes: low nibbles for the first, high for the second): it accumulates Σq·x and Σx of each in
 * float lanes, then adds d·scale·Σq·x and subtracts dmin·min·Σx.
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;

    private Q4_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        FloatVector minLo = FloatVector.zero(F);
        FloatVector minHi = FloatVector.zero(F);
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
            // pair p: sub-blocks 2p (low nibbles of qs[32p..]) and 2p + 1 (high nibbles), values 64p..
            for (int p = 0; p < 4; p++) {
                long qs = blk + QS + 32 * p;
                int xp = xBlock + 64 * p;
                FloatVector dotLo = FloatVector.zero(F);
                FloatVector dotHi = FloatVector.zero(F);
                FloatVector sumLo = FloatVector.zero(F);
                FloatVector sumHi = FloatVector.zero(F);
                for (int k = 0; k < 32; k += BL) {
                    ByteVector q = load(w, qs + k);
                    ByteVector lo = q.and(LOW_NIBBLE);
                    ByteVector hi = shiftRight(q, 4).and(LOW_NIBBLE);
                    FloatVector xLo = FloatVector.fromArray(F, x, xp + k);
                    FloatVector xHi = FloatVector.fromArray(F, x, xp + 32 + k);
                    dotLo = floats(lo, 0).fma(xLo, dotLo);
                    dotHi = floats(hi, 0).fma(xHi, dotHi);
                    sumLo = sumLo.add(xLo);
                    sumHi = sumHi.add(xHi);
                }
                accLo = addScaled(accLo, dotLo, d * byteOf(scales, 2 * p));
                accHi = addScaled(accHi, dotHi, d * byteOf(scales, 2 * p + 1));
                minLo = addScaled(minLo, sumLo, dmin * byteOf(mins, 2 * p));
                minHi = addScaled(minHi, sumHi, dmin * byteOf(mins, 2 * p + 1));
            }
        }
        return Vectors.sum(accLo.add(accHi).sub(minLo.add(minHi)));
    }
}
