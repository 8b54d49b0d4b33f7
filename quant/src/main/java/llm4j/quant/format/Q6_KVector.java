package llm4j.quant.format;

import llm4j.quant.Vectors;
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
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.D;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;
import static llm4j.quant.format.Q6_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K · F32 with the Vector API, one 16-value sub-block at a time: its levels q − 32 are built in
 * byte lanes from a nibble of ql and a bit pair of qh, Σ(q − 32)·x is accumulated in float lanes
 * and scaled once by d·scale.
 */
final class Q6_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte TWO_BITS = 3;
    private static final byte BIAS = 32;

    private Q6_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
            // the 16 int8 scales as two longs: one segment read per sub-block cost C2 IR nodes
            // (inlining budget) and time
            long scales0 = w.get(LE_LONG, blk + SCALES);
            long scales8 = w.get(LE_LONG, blk + SCALES + 8);
            int xBlock = xOffset + b * QK_K;
            // sub-block s = 8·half + 2·g + lh covers values 16s.. (g: 32-value group of the half)
            for (int s = 0; s < 16; s++) {
                int half = s >> 3;
                int g = (s >> 1) & 3;
                int lh = s & 1;
                long ql = blk + QL + 64 * half + 32 * (g & 1) + 16 * lh;
                long qh = blk + QH + 32 * half + 16 * lh;
                int nibble = 4 * (g >> 1);
                FloatVector dot = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector low = shiftRight(load(w, ql + k), nibble).and(LOW_NIBBLE);
                    ByteVector high = shiftLeft(shiftRight(load(w, qh + k), 2 * g).and(TWO_BITS), 4);
                    ByteVector q = low.or(high).sub(BIAS);
                    for (int part = 0; part < PARTS; part++) {
                        dot = floats(q, part).fma(FloatVector.fromArray(F, x, xBlock + 16 * s + k + part * W), dot);
                    }
                }
                acc = addScaled(acc, dot, d * (byte) ((s < 8 ? scales0 : scales8) >>> (8 * (s & 7))));
            }
        }
        return Vectors.sum(acc);
    }

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the same
     * per-row chains, with the sub-block index work and loop overhead paid once for both rows. The rows take
     * turns through one copy of the decode (a 2-trip loop that C2 unrolls after parsing): two copies put the
     * kernel past C2's node budget and every vector was boxed (30 kB/row, 6x slower). The accumulators swap
     * places on each turn, so after both turns each is back with its own row. Not used at 128 bits (see
     * {@link Q6_KFormat#vectorPairKernel()}).
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        FloatVector acc = FloatVector.zero(F); // the row whose turn is next
        FloatVector other = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            float d0 = Float.float16ToFloat(w.get(LE_SHORT, blk0 + D));
            float d1 = Float.float16ToFloat(w.get(LE_SHORT, blk0 + apart + D));
            long scales00 = w.get(LE_LONG, blk0 + SCALES);
            long scales08 = w.get(LE_LONG, blk0 + SCALES + 8);
            long scales10 = w.get(LE_LONG, blk0 + apart + SCALES);
            long scales18 = w.get(LE_LONG, blk0 + apart + SCALES + 8);
            int xBlock = b * QK_K;
            for (int s = 0; s < 16; s++) {
                int half = s >> 3;
                int g = (s >> 1) & 3;
                int lh = s & 1;
                long ql = QL + 64 * half + 32 * (g & 1) + 16 * lh;
                long qh = QH + 32 * half + 16 * lh;
                int nibble = 4 * (g >> 1);
                int shift = 8 * (s & 7);
                float scale0 = d0 * (byte) ((s < 8 ? scales00 : scales08) >>> shift);
                float scale1 = d1 * (byte) ((s < 8 ? scales10 : scales18) >>> shift);
                for (int r = 0; r < 2; r++) {
                    long blk = blk0 + r * apart;
                    FloatVector dot = FloatVector.zero(F);
                    for (int k = 0; k < 16; k += BL) {
                        ByteVector low = shiftRight(load(w, blk + ql + k), nibble).and(LOW_NIBBLE);
                        ByteVector high = shiftLeft(shiftRight(load(w, blk + qh + k), 2 * g).and(TWO_BITS), 4);
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
}
