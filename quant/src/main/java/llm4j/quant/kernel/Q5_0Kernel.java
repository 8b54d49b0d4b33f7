package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
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
 * Q5_0 · F32 dot product. The signed value q - 16 of a 5-bit code is, as a byte, its low nibble
 * when the fifth bit is set and the nibble minus 16 (top four bits set) when it is clear. At 16
 * lanes the clear bits of qh become a lane mask for a masked byte subtract; narrower vectors OR in
 * a pattern from the {@link FifthBits} tables.
 */
public final class Q5_0Kernel {

    private static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;
    private static final int HALF = QK / 2;
    /**
     * 16 bits of qh to a mask is one kmov with AVX-512 (512-bit vectors imply it); the table needs two
     * 8-lane rows there (2x slower per block). With AVX2 the mask path measured 4.1 vs 5.6 GB/s at
     * 256 bits, and on AVX-512 at 256 bits both ran at ~5.8: narrower vectors keep the table.
     */
    private static final boolean LANE_MASKS = L == HALF;

    private Q5_0Kernel() {
    }

    /**
     * One block per iteration at every width. Everything is written out with Vector API calls only: the
     * former helpers returning vectors (FifthBits.spread, LegacySpecies.widen, Nibbles.high) were
     * compiled on their own once hot, and a compiled helper that C2 then declines to inline returns a
     * boxed vector. Pairing blocks over two accumulators (as Q4_0Kernel does) crossed C2's node budget
     * at 512 bits here (the final sum's shuffles stayed calls), and the paired loop that did fit
     * measured slower than this one (docs/kernels-legacy.md).
     */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                // at 4 lanes no 32-bit byte shape exists: 4 bytes read as an int, broadcast (LegacySpecies.loadBytes)
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                // x86 has no byte shift: shift 16-bit lanes, the bits crossing into the byte below are masked off
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                if (LANE_MASKS) { // k is 0: one load is the whole block
                    low = low.sub((byte) 16, VectorMask.fromLong(B, ~qh));
                    high = high.sub((byte) 16, VectorMask.fromLong(B, ~qh >>> HALF));
                } else {
                    low = low.or(ByteVector.fromArray(B, FifthBits.CLEAR_TO_MINUS_16, FifthBits.row(qh, k)));
                    high = high.or(ByteVector.fromArray(B, FifthBits.CLEAR_TO_MINUS_16, FifthBits.row(qh, k + HALF)));
                }
                FloatVector lowFloats = (FloatVector) low.convertShape(VectorOperators.B2F, F, 0);
                FloatVector highFloats = (FloatVector) high.convertShape(VectorOperators.B2F, F, 0);
                block = lowFloats.fma(FloatVector.fromArray(F, x, xOffset + k), block);
                block = highFloats.fma(FloatVector.fromArray(F, x, xOffset + k + HALF), block);
            }
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset))), acc);
        }
        // acc enters the sum as a loop phi whose class C2 does not know while parsing, so the sum's shuffles may stay
        // virtual calls and acc be boxed on every block (6.4 kB per row at 128 bits, now and then 8.6 kB at 256);
        // the result of an op on a vector of known class has that class. 0 + a = a except for the sign of a zero lane.
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot} (the same ops per row, in the
     * same order), sharing every load of x (docs/performance.md, "Rows in pairs"). Only at 16 lanes, where a
     * block is one load and its fifth bits one lane mask; narrower vectors run {@link #dot} twice.
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
            // Written out per row, no helper, for the reasons given in dot. d and qh are read separately: one long
            // read for both left too few registers (spills in the loop), 5 % slower. mul in place of fma(x, +0)
            // gives the same acc: the two differ only in the sign of a zero lane, and adding a zero to acc (never
            // -0) leaves it as it was.
            int qh0 = w.get(LE_INT, o0 + QH);
            ByteVector p0 = ByteVector.fromMemorySegment(B, w, o0 + QS, LE);
            ByteVector low0 = p0.and((byte) 0x0F).sub((byte) 16, VectorMask.fromLong(B, ~qh0));
            ByteVector high0 = p0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).sub((byte) 16, VectorMask.fromLong(B, ~qh0 >>> HALF));
            FloatVector block0 = ((FloatVector) low0.convertShape(VectorOperators.B2F, F, 0)).mul(xLow);
            block0 = ((FloatVector) high0.convertShape(VectorOperators.B2F, F, 0)).fma(xHigh, block0);
            acc0 = block0.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, o0))), acc0);

            int qh1 = w.get(LE_INT, o1 + QH);
            ByteVector p1 = ByteVector.fromMemorySegment(B, w, o1 + QS, LE);
            ByteVector low1 = p1.and((byte) 0x0F).sub((byte) 16, VectorMask.fromLong(B, ~qh1));
            ByteVector high1 = p1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).sub((byte) 16, VectorMask.fromLong(B, ~qh1 >>> HALF));
            FloatVector block1 = ((FloatVector) low1.convertShape(VectorOperators.B2F, F, 0)).mul(xLow);
            block1 = ((FloatVector) high1.convertShape(VectorOperators.B2F, F, 0)).fma(xHigh, block1);
            acc1 = block1.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, o1))), acc1);
        }
        // Vectors.sum2 written out: past C2's parse-time node cut-off, calls to our own methods are the ones it
        // stops inlining (the Vector API's are @ForceInline and only deferred), and sum2 comes last; called, it
        // boxed both accumulators (96 B per row). Same folds in the same order, so the same bits.
        FloatVector a = FloatVector.zero(F).add(acc0);
        FloatVector b = FloatVector.zero(F).add(acc1);
        FloatVector v = a.add(a.rearrange(Vectors.FOLD_0)).blend(b.add(b.rearrange(Vectors.FOLD_0)), Vectors.UPPER_HALF);
        v = v.add(v.rearrange(Vectors.FOLD_1));
        if (Vectors.FOLDS.length > 2) {
            v = v.add(v.rearrange(Vectors.FOLD_2));
        }
        if (Vectors.FOLDS.length > 3) {
            v = v.add(v.rearrange(Vectors.FOLD_3));
        }
        out[out0] = v.lane(0);
        out[out1] = v.lane(L / 2);
    }

    /**
     * Decodes {@code n} values into {@code dst}: (q - 16)·d per value, bit for bit the scalar decoder (q - 16 is
     * exact in a float, and so is the product's one rounding). One block per iteration, its codes assembled as in
     * {@link #dot}.
     */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        LegacySpecies.checkBlocks(n);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            // the scalar decoder's own conversion, which quiets a NaN scale
            FloatVector d = FloatVector.broadcast(F, HalfFloats.f16ToFloat(w.get(LE_SHORT, offset)));
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                if (LANE_MASKS) { // k is 0: one load is the whole block
                    low = low.sub((byte) 16, VectorMask.fromLong(B, ~qh));
                    high = high.sub((byte) 16, VectorMask.fromLong(B, ~qh >>> HALF));
                } else {
                    low = low.or(ByteVector.fromArray(B, FifthBits.CLEAR_TO_MINUS_16, FifthBits.row(qh, k)));
                    high = high.or(ByteVector.fromArray(B, FifthBits.CLEAR_TO_MINUS_16, FifthBits.row(qh, k + HALF)));
                }
                ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOffset + k);
                ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOffset + HALF + k);
            }
        }
    }
}
