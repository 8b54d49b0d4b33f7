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

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the same
     * per-row chains, with the loop overhead paid once for both rows. The rows take turns through one copy
     * of the decode (a 2-trip loop that C2 unrolls after parsing; two copies would not fit C2's node budget,
     * see Q6_KVector.dot2), and the four accumulators of the row whose turn it is swap places with the other
     * row's on each turn. The kernel sits at C2's node budget: with a zero vector made per accumulator, or
     * with one Σx loop shared by both turns (each turn recomputes it, as {@link #dot} does), the final sums
     * were boxed inside the model (0.9 MB/token). Used at 512 bits only (see
     * {@link Q4_KFormat#vectorPairKernel()}).
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        // one zero for all: each FloatVector.zero call costs C2 nodes, and this kernel is at the budget
        FloatVector zero = FloatVector.zero(F);
        // the row whose turn is next, then the other
        FloatVector accLo = zero;
        FloatVector accHi = zero;
        FloatVector minLo = zero;
        FloatVector minHi = zero;
        FloatVector otherAccLo = zero;
        FloatVector otherAccHi = zero;
        FloatVector otherMinLo = zero;
        FloatVector otherMinHi = zero;
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            long blk1 = blk0 + apart;
            int dBits0 = w.get(LE_INT, blk0 + D);
            int dBits1 = w.get(LE_INT, blk1 + D);
            float d0 = lowHalf(dBits0);
            float dmin0 = highHalf(dBits0);
            float d1 = lowHalf(dBits1);
            float dmin1 = highHalf(dBits1);
            long s00 = w.get(LE_LONG, blk0 + SCALES);
            int s08 = w.get(LE_INT, blk0 + SCALES + 8);
            long s10 = w.get(LE_LONG, blk1 + SCALES);
            int s18 = w.get(LE_INT, blk1 + SCALES + 8);
            long scales0 = scalesK4(s00, s08);
            long mins0 = minsK4(s00, s08);
            long scales1 = scalesK4(s10, s18);
            long mins1 = minsK4(s10, s18);
            int xBlock = b * QK_K;
            for (int p = 0; p < 4; p++) {
                int xp = xBlock + 64 * p;
                for (int r = 0; r < 2; r++) {
                    long qs = blk0 + r * apart + QS + 32 * p;
                    FloatVector dotLo = zero;
                    FloatVector dotHi = zero;
                    FloatVector sumLo = zero;
                    FloatVector sumHi = zero;
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
                    float d = r == 0 ? d0 : d1;
                    float dmin = r == 0 ? dmin0 : dmin1;
                    long scales = r == 0 ? scales0 : scales1;
                    long mins = r == 0 ? mins0 : mins1;
                    FloatVector doneAccLo = addScaled(accLo, dotLo, d * byteOf(scales, 2 * p));
                    FloatVector doneAccHi = addScaled(accHi, dotHi, d * byteOf(scales, 2 * p + 1));
                    FloatVector doneMinLo = addScaled(minLo, sumLo, dmin * byteOf(mins, 2 * p));
                    FloatVector doneMinHi = addScaled(minHi, sumHi, dmin * byteOf(mins, 2 * p + 1));
                    accLo = otherAccLo;
                    accHi = otherAccHi;
                    minLo = otherMinLo;
                    minHi = otherMinHi;
                    otherAccLo = doneAccLo;
                    otherAccHi = doneAccHi;
                    otherMinLo = doneMinLo;
                    otherMinHi = doneMinHi;
                }
            }
        }
        Vectors.sum2(accLo.add(accHi).sub(minLo.add(minHi)), otherAccLo.add(otherAccHi).sub(otherMinLo.add(otherMinHi)),
                out, out0, out1);
    }
}
