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
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q2_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q2_KFormat.D;
import static llm4j.quant.format.Q2_KFormat.QS;
import static llm4j.quant.format.Q2_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K · F32 with the Vector API at 128 bits ({@link Q2_KMantissaVector} from 256), one 16-value sub-block at a
 * time: it accumulates Σq·x and Σx in float lanes, then adds d·scale·Σq·x and subtracts dmin·min·Σx. Also the
 * vector panel decoder ({@link #dequantize}), one bit pair of a load per iteration.
 */
final class Q2_KVector {

    private static final byte TWO_BITS = 3;

    private Q2_KVector() {
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
            int xBlock = xOffset + b * QK_K;
            // sub-block s = 8·half + 2·g + lh covers values 16s..; its levels are bit pair g
            for (int s = 0; s < 16; s++) {
                long qs = blk + QS + 32 * (s >> 3) + 16 * (s & 1);
                int shift = 2 * ((s >> 1) & 3);
                FloatVector dot = FloatVector.zero(F);
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector q = shiftRight(load(w, qs + k), shift).and(TWO_BITS);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xBlock + 16 * s + k + part * W);
                        dot = floats(q, part).fma(xv, dot);
                        sum = sum.add(xv);
                    }
                }
                int sc = w.get(ValueLayout.JAVA_BYTE, blk + SCALES + s);
                acc = addScaled(acc, dot, d * (sc & 0xF));
                minAcc = addScaled(minAcc, sum, dmin * ((sc >> 4) & 0xF));
            }
        }
        return Vectors.sum(acc.sub(minAcc));
    }

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the rows
     * take turns through one copy of the decode, and the accumulators swap places on each turn (as in
     * Q6_K's wide pair kernel before session 10). The 16 scale bytes of each row are read as two longs per super-block.
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
            long scales00 = w.get(LE_LONG, blk0 + SCALES);
            long scales08 = w.get(LE_LONG, blk0 + SCALES + 8);
            long scales10 = w.get(LE_LONG, blk1 + SCALES);
            long scales18 = w.get(LE_LONG, blk1 + SCALES + 8);
            int xBlock = b * QK_K;
            for (int s = 0; s < 16; s++) {
                long qs = QS + 32 * (s >> 3) + 16 * (s & 1);
                int shift = 2 * ((s >> 1) & 3);
                int byteShift = 8 * (s & 7);
                int sc0 = (byte) ((s < 8 ? scales00 : scales08) >>> byteShift);
                int sc1 = (byte) ((s < 8 ? scales10 : scales18) >>> byteShift);
                float scale0 = d0 * (sc0 & 0xF);
                float scale1 = d1 * (sc1 & 0xF);
                float min0 = dmin0 * ((sc0 >> 4) & 0xF);
                float min1 = dmin1 * ((sc1 >> 4) & 0xF);
                for (int r = 0; r < 2; r++) {
                    long blk = blk0 + r * apart;
                    FloatVector dot = FloatVector.zero(F);
                    FloatVector sum = FloatVector.zero(F);
                    for (int k = 0; k < 16; k += BL) {
                        ByteVector q = shiftRight(load(w, blk + qs + k), shift).and(TWO_BITS);
                        FloatVector xv = FloatVector.fromArray(F, x, xBlock + 16 * s + k);
                        dot = floats(q, 0).fma(xv, dot);
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
     * Decodes {@code n} values into {@code dst} as {@link Q2_KFormat#dequantize} does, bit for bit: (d·scale)·q − dmin·min
     * per value, both factors made as scalars first and the product rounded before the difference (no fma). A load of
     * qs bytes l.. of a half holds values l.. of its four bit pairs ("kinds"); one kind per iteration, written with
     * Vector API calls only, as {@link Q6_KVector#dequantize} (a helper left as a call returns a boxed vector).
     * <p>At 128 bits a byte vector is 16 bytes but only 4 are used: the last load of a super-block would read past it
     * (the segment may end there), so 4 bytes are read as an int and broadcast instead.
     */
    static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            long scalesLow = w.get(LE_LONG, blk + SCALES); // one scale byte per sub-block
            long scalesHigh = w.get(LE_LONG, blk + SCALES + 8);
            for (int half = 0; half < 2; half++) {
                long scales = half == 0 ? scalesLow : scalesHigh;
                int out = dstOffset + b * QK_K + 128 * half;
                for (int l = 0; l < 32; l += BL) {
                    long qs = blk + QS + 32 * half + l;
                    ByteVector q = W >= 8 ? ByteVector.fromMemorySegment(KVectors.B, w, qs, ByteOrder.LITTLE_ENDIAN)
                            : IntVector.broadcast(KVectors.INTS, w.get(LE_INT, qs)).reinterpretAsBytes();
                    for (int g = 0; g < 4; g++) {
                        // values l.. of bit pair g are sub-block 8·half + 2g + l/16
                        int sc = (int) (scales >>> (8 * (2 * g + l / 16))) & 0xFF;
                        float dl = d * (sc & 0xF);
                        float ml = dmin * (sc >> 4);
                        // a 16-bit shift (x86 has no byte shift); the mask drops the bits that crossed bytes
                        ((FloatVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * g).reinterpretAsBytes()
                                .and(TWO_BITS).convertShape(VectorOperators.B2F, F, 0))
                                .mul(dl).sub(ml).intoArray(dst, out + 32 * g + l);
                    }
                }
            }
        }
    }
}
