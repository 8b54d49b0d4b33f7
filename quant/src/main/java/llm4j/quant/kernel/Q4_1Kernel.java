package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;
import llm4j.quant.format.HalfFloats;

/**
 * Q4_1 · F32 dot product, using Σ (q·d + m)·x = d·Σ q·x + m·Σ x: per block one sum of codes times
 * activations and one sum of activations, each scaled once. {@link #dot2} takes two rows per pass
 * (matVec's usual path), which is also what keeps two chains of scale FMAs in flight.
 */
public final class Q4_1Kernel {

    private static final int BLOCK_BYTES = 20;
    private static final int M = 2;
    private static final int QS = 4;
    private static final int HALF = QK / 2;

    private Q4_1Kernel() {
    }

    /**
     * At 8 lanes blocks alternate between two accumulators ({@link #twoChains}). At 16 lanes one chain, which
     * {@link #dot2} gives each of its rows (matVec pairs rows; a lone row comes here), and at 4 lanes too, where
     * the two-block loop crossed C2's inlining node cut-off (boxed the sum).
     */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        if (L != 8) {
            return oneChain(w, offset, x, xOffset, n);
        }
        return twoChains(w, offset, x, xOffset, n);
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x and
     * the block's Σ x (docs/performance.md, "Rows in pairs"). Only at 16 lanes, where a block is one load;
     * narrower vectors run {@link #dot} twice.
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (L != HALF) {
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
            // mul and xLow + xHigh where oneChain starts from +0: that changes only the sign of a zero lane, and
            // adding a zero to acc (never -0) leaves it as it was, the same bits
            FloatVector sumX = xLow.add(xHigh);
            ByteVector p0 = LegacySpecies.loadBytes(w, o0 + QS);
            ByteVector p1 = LegacySpecies.loadBytes(w, o1 + QS);
            FloatVector codes0 = LegacySpecies.widen(Nibbles.high(p0))
                    .fma(xHigh, LegacySpecies.widen(Nibbles.low(p0)).mul(xLow));
            FloatVector codes1 = LegacySpecies.widen(Nibbles.high(p1))
                    .fma(xHigh, LegacySpecies.widen(Nibbles.low(p1)).mul(xLow));
            int dm0 = w.get(LegacySpecies.LE_INT, o0); // d, then m
            int dm1 = w.get(LegacySpecies.LE_INT, o1);
            acc0 = codes0.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm0)), acc0);
            acc1 = codes1.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm1)), acc1);
            acc0 = sumX.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (dm0 >>> 16))), acc0);
            acc1 = sumX.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (dm1 >>> 16))), acc1);
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
    }

    /** Blocks alternate between two accumulators, so two chains of scale FMAs are in flight. */
    private static float twoChains(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        int blocks = n / QK;
        // written out, no helper per block: a hot helper is compiled on its own, then found too big
        // to inline, and its vectors are boxed (see Q4_0Kernel). An odd last block is paired with
        // itself and its twin scaled by 0: one copy of the code keeps C2 under its inlining budget.
        for (int b = 0; b < blocks; b += 2, offset += 2 * BLOCK_BYTES, xOffset += 2 * QK) {
            boolean pair = b + 1 < blocks;
            long next = pair ? offset + BLOCK_BYTES : offset;
            int xNext = pair ? xOffset + QK : xOffset;
            FloatVector codes0 = FloatVector.zero(F);
            FloatVector codes1 = FloatVector.zero(F);
            FloatVector sum0 = FloatVector.zero(F);
            FloatVector sum1 = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                ByteVector p0 = LegacySpecies.loadBytes(w, offset + QS + k);
                ByteVector p1 = LegacySpecies.loadBytes(w, next + QS + k);
                FloatVector xLow0 = FloatVector.fromArray(F, x, xOffset + k);
                FloatVector xHigh0 = FloatVector.fromArray(F, x, xOffset + HALF + k);
                FloatVector xLow1 = FloatVector.fromArray(F, x, xNext + k);
                FloatVector xHigh1 = FloatVector.fromArray(F, x, xNext + HALF + k);
                codes0 = LegacySpecies.widen(Nibbles.low(p0)).fma(xLow0, codes0);
                codes1 = LegacySpecies.widen(Nibbles.low(p1)).fma(xLow1, codes1);
                codes0 = LegacySpecies.widen(Nibbles.high(p0)).fma(xHigh0, codes0);
                codes1 = LegacySpecies.widen(Nibbles.high(p1)).fma(xHigh1, codes1);
                sum0 = sum0.add(xLow0.add(xHigh0));
                sum1 = sum1.add(xLow1.add(xHigh1));
            }
            int dm0 = w.get(LegacySpecies.LE_INT, offset); // d, then m
            int dm1 = pair ? w.get(LegacySpecies.LE_INT, next) : 0; // the twin of an odd last block counts 0
            even = codes0.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm0)), even);
            odd = codes1.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm1)), odd);
            even = sum0.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (dm0 >>> 16))), even);
            odd = sum1.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) (dm1 >>> 16))), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /**
     * Decodes {@code n} values into {@code dst}: q·d + m per value, a product rounded and then a sum rounded, bit for
     * bit the scalar decoder (Java does not fuse them there either; q is exact in a float). Written out with Vector API
     * calls only, for the reasons given in {@link Q5_0Kernel#dot}.
     */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        LegacySpecies.checkBlocks(n);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            int dm = w.get(LE_INT, offset); // d, then m
            // the scalar decoder's own conversion, which quiets a NaN scale
            FloatVector d = FloatVector.broadcast(F, HalfFloats.f16ToFloat((short) dm));
            FloatVector m = FloatVector.broadcast(F, HalfFloats.f16ToFloat((short) (dm >>> 16)));
            for (int k = 0; k < HALF; k += L) {
                // at 4 lanes no 32-bit byte shape exists: 4 bytes read as an int, broadcast (LegacySpecies.loadBytes)
                ByteVector packed = L >= 8
                        ? ByteVector.fromMemorySegment(B, w, offset + QS + k, LE)
                        : IntVector.broadcast(I, w.get(LE_INT, offset + QS + k)).reinterpretAsBytes();
                ByteVector low = packed.and((byte) 0x0F);
                ByteVector high = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F);
                ((FloatVector) low.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m).intoArray(dst, dstOffset + k);
                ((FloatVector) high.convertShape(VectorOperators.B2F, F, 0)).mul(d).add(m)
                        .intoArray(dst, dstOffset + HALF + k);
            }
        }
    }

    /** One block at a time, one accumulator. */
    private static float oneChain(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector codesTimesX = FloatVector.zero(F);
            FloatVector sumX = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                FloatVector xLow = FloatVector.fromArray(F, x, xOffset + k);
                FloatVector xHigh = FloatVector.fromArray(F, x, xOffset + k + HALF);
                codesTimesX = LegacySpecies.widen(Nibbles.low(packed)).fma(xLow, codesTimesX);
                codesTimesX = LegacySpecies.widen(Nibbles.high(packed)).fma(xHigh, codesTimesX);
                sumX = sumX.add(xLow).add(xHigh);
            }
            acc = codesTimesX.fma(LegacySpecies.halfBroadcast(w, offset), acc);
            acc = sumX.fma(LegacySpecies.halfBroadcast(w, offset + M), acc);
        }
        // a vector of known class for the sum (see Q5_0Kernel.dot)
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }
}
