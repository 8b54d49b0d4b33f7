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
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.QS;
import static llm4j.quant.format.Q4_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K · F32 with the Vector API, one pair of 32-value sub-blocks at a time (they share 32 qs
 * bytes: low nibbles for the first, high for the second): it accumulates Σq·x and Σx of each in
 * float lanes, then adds d·scale·Σq·x and subtracts dmin·min·Σx.
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final VectorSpecies<Long> L2 = LongVector.SPECIES_128;
    private static final int PAIRS_PER_VECTOR = Math.min(4, KVectors.W / 4);
    private static final VectorShuffle<Float> NEXT_PAIR = VectorShuffle.fromOp(F, i -> (i + 4) % KVectors.W);
    /** Lanes 2, 3 (mod 4): where a pair's packed scales, mins word puts the mins. */
    private static final VectorMask<Float> MIN_LANES = VectorMask.fromLong(F, 0xCCCC_CCCC_CCCC_CCCCL);
    private static final VectorShuffle<Float> LANE0 = VectorShuffle.fromOp(F, i -> 0);
    private static final VectorShuffle<Float> LANE1 = VectorShuffle.fromOp(F, i -> 1);
    private static final VectorShuffle<Float> LANE2 = VectorShuffle.fromOp(F, i -> 2);
    private static final VectorShuffle<Float> LANE3 = VectorShuffle.fromOp(F, i -> 3);

    private Q4_KVector() {
    }

    /** Bytes sc[2i], sc[2i+1], m[2i], m[2i+1] for pairs i = 0, 1 of the scale and min bytes. */
    private static long interleave(long scales, long mins) {
        return (scales & 0xFFFFL) | (mins & 0xFFFFL) << 16 | (scales & 0xFFFF0000L) << 16 | (mins & 0xFFFF0000L) << 32;
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
            FloatVector dm = FloatVector.broadcast(F, d).blend(dmin, MIN_LANES);
            long pk01 = interleave(scales, mins);
            long pk23 = interleave(scales >>> 32, mins >>> 32);
            FloatVector sm = FloatVector.zero(F);
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
                if (p % PAIRS_PER_VECTOR == 0) {
                    long first = (p < 2 ? pk01 : pk23) >>> (32 * (p & 1));
                    ByteVector bytes = LongVector.broadcast(L2, first).withLane(1, pk23).reinterpretAsBytes();
                    sm = floats(bytes, 0).mul(dm);
                } else {
                    sm = sm.rearrange(NEXT_PAIR);
                }
                accLo = dotLo.fma(sm.rearrange(LANE0), accLo);
                accHi = dotHi.fma(sm.rearrange(LANE1), accHi);
                minLo = sumLo.fma(sm.rearrange(LANE2), minLo);
                minHi = sumHi.fma(sm.rearrange(LANE3), minHi);
            }
        }
        return Vectors.sum(accLo.add(accHi).sub(minLo.add(minHi)));
    }
}
