package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
import static llm4j.quant.kernel.LegacySpecies.LE_LONG;
import static llm4j.quant.kernel.LegacySpecies.LE_SHORT;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;
import llm4j.quant.format.HalfFloats;

/**
 * Q5_1 · F32 dot product: 5-bit codes assembled in byte lanes (nibble, plus 16 where the fifth bit
 * is set: a masked add at 16 lanes, a {@link FifthBits} pattern ORed in below), then d·Σ q·x + m·Σ x
 * per block as in Q4_1.
 */
public final class Q5_1Kernel {

    private static final int BLOCK_BYTES = 24;
    private static final int M = 2;
    private static final int QH = 4;
    private static final int QS = 8;
    private static final int HALF = QK / 2;
    /** As in {@link Q5_0Kernel}: lane masks from qh only where they are one kmov and the table is not one load. */
    private static final boolean LANE_MASKS = L == HALF;

    private Q5_1Kernel() {
    }

    /** One block per iteration, written out with Vector API calls only, for the reasons given in {@link Q5_0Kernel#dot}. */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector codesTimesX = FloatVector.zero(F);
            FloatVector sumX = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                if (LANE_MASKS) { // k is 0: one load is the whole block
                    low = low.add((byte) 16, VectorMask.fromLong(B, qh));
                    high = high.add((byte) 16, VectorMask.fromLong(B, qh >>> HALF));
                } else {
                    low = low.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k)));
                    high = high.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k + HALF)));
                }
                FloatVector xLow = FloatVector.fromArray(F, x, xOffset + k);
                FloatVector xHigh = FloatVector.fromArray(F, x, xOffset + k + HALF);
                codesTimesX = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).fma(xLow, codesTimesX);
                codesTimesX = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(xHigh, codesTimesX);
                sumX = sumX.add(xLow).add(xHigh);
            }
            acc = codesTimesX.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset))), acc);
            acc = sumX.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset + M))), acc);
        }
        // the accumulator's class made known to the sum (see Q5_0Kernel)
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x and
     * the block's Σ x (docs/performance.md, "Rows in pairs"). Only at 16 lanes, where a block is one load and its
     * fifth bits one lane mask; narrower vectors run {@link #dot} twice.
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (!LANE_MASKS) {
            out[out0] = dot(w, offset0, x, 0, n);
            out[out1] = dot(w, offset1, x, 0, n);
            return;
        }
        LegacySpecies.checkBlocks(n);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long o0 = offset0;
        long o1 = offset1;
        for (int xo = 0; xo < n; xo += QK, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
            FloatVector xLow = FloatVector.fromArray(F, x, xo);
            FloatVector xHigh = FloatVector.fromArray(F, x, xo + HALF);
            // mul and xLow + xHigh where dot starts from +0: that changes only the sign of a zero lane, and adding a
            // zero to acc (never -0) leaves it as it was, the same bits as dot
            FloatVector sumX = xLow.add(xHigh);
            // the rows in a loop of two that C2 unrolls after parsing: the body written out twice, as in
            // Q5_0Kernel.dot2, reached C2's node cut-off before sum2 and boxed both accumulators (96 B per row)
            for (int r = 0; r < 2; r++) {
                long o = r == 0 ? o0 : o1;
                FloatVector acc = r == 0 ? acc0 : acc1;
                long head = w.get(LE_LONG, o); // d, m, then qh (the block's first 8 bytes)
                int qh = (int) (head >>> 32);
                ByteVector p = ByteVector.fromMemorySegment(B, w, o + QS, LE);
                ByteVector low = p.and((byte) 0x0F).add((byte) 16, VectorMask.fromLong(B, qh));
                ByteVector high = p.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).add((byte) 16, VectorMask.fromLong(B, qh >>> HALF));
                FloatVector codes = ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).mul(xLow);
                codes = ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).fma(xHigh, codes);
                acc = codes.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), acc);
                acc = sumX.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16))), acc);
                if (r == 0) {
                    acc0 = acc;
                } else {
                    acc1 = acc;
                }
            }
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
    }

    /**
     * Decodes {@code n} values into {@code dst}: q·d + m per value, a product rounded and then a sum rounded, bit for
     * bit the scalar decoder (q is exact in a float). One block per iteration, its codes assembled as in {@link #dot}.
     */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        LegacySpecies.checkBlocks(n);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            long head = w.get(LE_LONG, offset); // d, m, then qh
            int qh = (int) (head >>> 32);
            // the scalar decoder's own conversion, which quiets a NaN scale
            FloatVector d = FloatVector.broadcast(F, HalfFloats.f16ToFloat((short) head));
            FloatVector m = FloatVector.broadcast(F, HalfFloats.f16ToFloat((short) (head >>> 16)));
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                if (LANE_MASKS) { // k is 0: one load is the whole block
                    low = low.add((byte) 16, VectorMask.fromLong(B, qh));
                    high = high.add((byte) 16, VectorMask.fromLong(B, qh >>> HALF));
                } else {
                    low = low.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k)));
                    high = high.or(ByteVector.fromArray(B, FifthBits.SET_TO_16, FifthBits.row(qh, k + HALF)));
                }
                ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m).intoArray(dst, dstOffset + k);
                ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m)
                        .intoArray(dst, dstOffset + HALF + k);
            }
        }
    }
}
