package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.LE_SHORT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q3_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q3_KFormat.D;
import static llm4j.quant.format.Q3_KFormat.HMASK;
import static llm4j.quant.format.Q3_KFormat.QS;
import static llm4j.quant.format.Q3_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K · F32 with the Vector API, one 16-value sub-block at a time: each level (2 bits of qs | the
 * hmask bit as bit 2) − 4 is built in byte lanes, Σ(q − 4)·x is accumulated in float lanes and
 * scaled once by d·scale.
 */
final class Q3_KVector {

    private static final byte TWO_BITS = 3;
    private static final byte ONE_BIT = 1;
    private static final byte BIAS = 4;

    private Q3_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
            long scalesLow = w.get(LE_LONG, blk + SCALES);
            int scalesHigh = w.get(LE_INT, blk + SCALES + 8);
            int xBlock = xOffset + b * QK_K;
            // sub-block s = 8·half + 2·g + lh covers values 16s..; its mask bit is 4·half + g
            for (int s = 0; s < 16; s++) {
                int half = s >> 3;
                int g = (s >> 1) & 3;
                int lh = s & 1;
                long qs = blk + QS + 32 * half + 16 * lh;
                long hm = blk + HMASK + 16 * lh;
                FloatVector dot = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector low = shiftRight(load(w, qs + k), 2 * g).and(TWO_BITS);
                    ByteVector high = shiftLeft(shiftRight(load(w, hm + k), 4 * half + g).and(ONE_BIT), 2);
                    ByteVector q = low.or(high).sub(BIAS);
                    for (int part = 0; part < PARTS; part++) {
                        dot = floats(q, part).fma(FloatVector.fromArray(F, x, xBlock + 16 * s + k + part * W), dot);
                    }
                }
                acc = addScaled(acc, dot, d * scale(scalesLow, scalesHigh, s));
            }
        }
        return Vectors.sum(acc);
    }

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the rows
     * take turns through one copy of the decode, and the accumulators swap places on each turn (as in
     * Q6_KWideVector.dot2_512). Not used at 128 bits (see {@link Q3_KFormat#vectorPairKernel()}).
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        FloatVector acc = FloatVector.zero(F); // the row whose turn is next
        FloatVector other = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            long blk1 = blk0 + apart;
            float d0 = Float.float16ToFloat(w.get(LE_SHORT, blk0 + D));
            float d1 = Float.float16ToFloat(w.get(LE_SHORT, blk1 + D));
            long scalesLow0 = w.get(LE_LONG, blk0 + SCALES);
            int scalesHigh0 = w.get(LE_INT, blk0 + SCALES + 8);
            long scalesLow1 = w.get(LE_LONG, blk1 + SCALES);
            int scalesHigh1 = w.get(LE_INT, blk1 + SCALES + 8);
            int xBlock = b * QK_K;
            for (int s = 0; s < 16; s++) {
                int half = s >> 3;
                int g = (s >> 1) & 3;
                int lh = s & 1;
                long qs = QS + 32 * half + 16 * lh;
                long hm = HMASK + 16 * lh;
                float scale0 = d0 * scale(scalesLow0, scalesHigh0, s);
                float scale1 = d1 * scale(scalesLow1, scalesHigh1, s);
                for (int r = 0; r < 2; r++) {
                    long blk = blk0 + r * apart;
                    FloatVector dot = FloatVector.zero(F);
                    for (int k = 0; k < 16; k += BL) {
                        ByteVector low = shiftRight(load(w, blk + qs + k), 2 * g).and(TWO_BITS);
                        ByteVector high = shiftLeft(shiftRight(load(w, blk + hm + k), 4 * half + g).and(ONE_BIT), 2);
                        dot = floats(low.or(high).sub(BIAS), 0).fma(FloatVector.fromArray(F, x, xBlock + 16 * s + k), dot);
                    }
                    FloatVector done = addScaled(acc, dot, r == 0 ? scale0 : scale1);
                    acc = other;
                    other = done;
                }
            }
        }
        Vectors.sum2(acc, other, out, out0, out1);
    }

    /** {@link KQuants#scaleQ3} from the 12 scale bytes read as a long (bytes 0..7) and an int (8..11). */
    private static int scale(long low, int high, int j) {
        int low4 = (int) (low >>> (8 * (j & 7) + 4 * (j >> 3))) & 0xF;
        int high2 = (high >>> (8 * (j & 3) + 2 * (j >> 2))) & 3;
        return (low4 | (high2 << 4)) - 32;
    }
}
