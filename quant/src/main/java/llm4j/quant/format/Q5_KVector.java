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
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K · F32 with the Vector API, one pair of 32-value sub-blocks at a time (they share 32 qs bytes: low
 * nibbles for the first, high for the second), the fifth level bit of sub-block j taken from bit j of qh and
 * moved to bit 4 in byte lanes. Each weight is made in float lanes as q·(d·scale) − dmin·min with one fused
 * multiply-add and multiplied into the sum with another. Also the vector panel decoder ({@link #dequantize}),
 * one sub-block of a load per iteration.
 */
final class Q5_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte ONE_BIT = 1;
    private static final byte FIFTH_BIT = 0x10;

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

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the rows
     * take turns through one copy of the decode, and the accumulators of the row whose turn it is swap places
     * with the other row's on each turn (as Q6_K's wide pair kernel did before session 10). Used at 512 bits only (see
     * {@link Q5_KFormat#vectorPairKernel()}).
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        // the row whose turn is next, then the other
        FloatVector acc = FloatVector.zero(F);
        FloatVector minAcc = FloatVector.zero(F);
        FloatVector otherAcc = FloatVector.zero(F);
        FloatVector otherMinAcc = FloatVector.zero(F);
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
            for (int j = 0; j < 8; j++) {
                long qs = QS + 32 * (j >> 1);
                int nibble = 4 * (j & 1);
                float scale0 = d0 * byteOf(scales0, j);
                float scale1 = d1 * byteOf(scales1, j);
                float min0 = dmin0 * byteOf(mins0, j);
                float min1 = dmin1 * byteOf(mins1, j);
                for (int r = 0; r < 2; r++) {
                    long blk = blk0 + r * apart;
                    FloatVector dot = FloatVector.zero(F);
                    FloatVector sum = FloatVector.zero(F);
                    for (int k = 0; k < 32; k += BL) {
                        ByteVector low = shiftRight(load(w, blk + qs + k), nibble).and(LOW_NIBBLE);
                        ByteVector high = shiftLeft(shiftRight(load(w, blk + QH + k), j).and(ONE_BIT), 4);
                        FloatVector xv = FloatVector.fromArray(F, x, xBlock + 32 * j + k);
                        dot = floats(low.or(high), 0).fma(xv, dot);
                        sum = sum.add(xv);
                    }
                    FloatVector doneAcc = addScaled(acc, dot, r == 0 ? scale0 : scale1);
                    FloatVector doneMinAcc = addScaled(minAcc, sum, r == 0 ? min0 : min1);
                    acc = otherAcc;
                    minAcc = otherMinAcc;
                    otherAcc = doneAcc;
                    otherMinAcc = doneMinAcc;
                }
            }
        }
        // Vectors.sum2 written out (same folds, same bits): a call to it, parsed last, can fall past C2's node cut-off
        // and box both vectors, which in some processes left the 1B Q4_K_M file at 5.6-6.6 instead of 7-9 tokens/s
        FloatVector a = acc.sub(minAcc);
        FloatVector b = otherAcc.sub(otherMinAcc);
        FloatVector v = a.add(a.rearrange(Vectors.FOLD_0)).blend(b.add(b.rearrange(Vectors.FOLD_0)), Vectors.UPPER_HALF);
        v = v.add(v.rearrange(Vectors.FOLD_1));
        if (Vectors.FOLDS.length > 2) {
            v = v.add(v.rearrange(Vectors.FOLD_2));
        }
        if (Vectors.FOLDS.length > 3) {
            v = v.add(v.rearrange(Vectors.FOLD_3));
        }
        out[out0] = v.lane(0);
        out[out1] = v.lane(F.length() / 2);
    }

    /**
     * Decodes {@code n} values into {@code dst} as {@link Q5_KFormat#dequantize} does, bit for bit: (d·scale)·q − dmin·min
     * per value, both factors made as scalars first and the product rounded before the difference (no fma). Bytes l..
     * of qs hold values l.. of a pair of sub-blocks (low and high nibbles) and qh bytes l.. their fifth bits; one
     * sub-block per iteration, written with Vector API calls only, as {@link Q6_KVector#dequantize} (a helper left as a
     * call returns a boxed vector). The pair's factors are made once, outside the loads' loop: made per load, their
     * scalar work held 128 bits at 1.35 Gweights/s (now 2.6; 512 bits 5.0 → 7.2).
     * <p>At 128 bits a byte vector is 16 bytes but only 4 are used: the last qs loads of a super-block would read past
     * it (the segment may end there), so 4 bytes are read as an int and broadcast instead.
     */
    static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            long s0 = w.get(LE_LONG, blk + SCALES);
            int s8 = w.get(LE_INT, blk + SCALES + 8);
            long scales = scalesK4(s0, s8);
            long mins = minsK4(s0, s8);
            int out = dstOffset + b * QK_K;
            for (int p = 0; p < 4; p++, out += 64) {
                // sub-blocks 2p and 2p + 1: the low and high nibbles of qs bytes 32p.., their fifth bits bits 2p, 2p + 1 of qh
                float d1 = d * ((int) (scales >>> (16 * p)) & 0xFF);
                float m1 = dmin * ((int) (mins >>> (16 * p)) & 0xFF);
                float d2 = d * ((int) (scales >>> (16 * p + 8)) & 0xFF);
                float m2 = dmin * ((int) (mins >>> (16 * p + 8)) & 0xFF);
                for (int l = 0; l < 32; l += BL) {
                    long qs = blk + QS + 32 * p + l;
                    ByteVector q = W >= 8 ? ByteVector.fromMemorySegment(KVectors.B, w, qs, ByteOrder.LITTLE_ENDIAN)
                            : IntVector.broadcast(KVectors.INTS, w.get(LE_INT, qs)).reinterpretAsBytes();
                    ByteVector h = ByteVector.fromMemorySegment(KVectors.B, w, blk + QH + l, ByteOrder.LITTLE_ENDIAN);
                    for (int k = 0; k < 2; k++) {
                        // 16-bit shifts (x86 has no byte shift); the masks drop the bits that crossed bytes
                        ByteVector nibble = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4 * k).reinterpretAsBytes()
                                .and(LOW_NIBBLE);
                        ByteVector top = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * p + k)
                                .lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(FIFTH_BIT);
                        ((FloatVector) nibble.or(top).convertShape(VectorOperators.B2F, F, 0))
                                .mul(k == 0 ? d1 : d2).sub(k == 0 ? m1 : m2).intoArray(dst, out + 32 * k + l);
                    }
                }
            }
        }
    }
}
