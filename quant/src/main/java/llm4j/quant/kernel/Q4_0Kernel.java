package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q4_0 · F32 dot product. Each load of L packed bytes yields two runs of elements: low nibbles are
 * elements k.., high nibbles elements 16 + k... Both are re-centred (q - 8) in byte lanes, widened
 * to floats and multiplied into a block sum that is scaled by d once. {@link #dot2} takes two rows per
 * pass (matVec's usual path), which is also what keeps two scale FMAs in flight.
 */
public final class Q4_0Kernel {

    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;
    private static final int HALF = QK / 2;

    private Q4_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        // narrower vectors need several loads per block: a loop over pairs outgrows C2's node budget and its
        // vectors are boxed (28 kB per row at 256 bits, 12x slower), so they keep one block per iteration
        if (L < HALF) {
            return singleBlocks(w, offset, x, xOffset, n);
        }
        // 16 lanes: one load of 16 bytes is a whole block, both halves of it. One accumulator, in block order:
        // dot2 gives each of its rows exactly this chain (matVec pairs rows; a lone row comes here).
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            ByteVector p = LegacySpecies.loadBytes(w, offset + QS);
            FloatVector s = high(p).fma(FloatVector.fromArray(F, x, xOffset + HALF), low(p).mul(FloatVector.fromArray(F, x, xOffset)));
            acc = s.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x
     * (docs/performance.md, "Rows in pairs").
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (L != HALF) {
            if (L >= 8) {
                singleBlocks2(w, offset0, offset1, x, n, out, out0, out1);
            } else { // 4 lanes: the paired loop boxed a vector per row (48 B) for an 8 % gain
                out[out0] = singleBlocks(w, offset0, x, 0, n);
                out[out1] = singleBlocks(w, offset1, x, 0, n);
            }
            return;
        }
        LegacySpecies.checkBlocks(n);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long o0 = offset0;
        long o1 = offset1;
        for (int xo = 0; xo < n; xo += QK, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + HALF);
            ByteVector p0 = LegacySpecies.loadBytes(w, o0 + QS);
            ByteVector p1 = LegacySpecies.loadBytes(w, o1 + QS);
            acc0 = high(p0).fma(x1, low(p0).mul(x0)).fma(LegacySpecies.halfBroadcast(w, o0), acc0);
            acc1 = high(p1).fma(x1, low(p1).mul(x0)).fma(LegacySpecies.halfBroadcast(w, o1), acc1);
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
    }

    private static float singleBlocks(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                block = low(packed).fma(FloatVector.fromArray(F, x, xOffset + k), block);
                block = high(packed).fma(FloatVector.fromArray(F, x, xOffset + k + HALF), block);
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        // a vector of known class for the sum (see Q5_0Kernel): without it acc was boxed on every block at 128 bits
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }

    /** {@link #singleBlocks} for two rows, each bit for bit what it returns. */
    private static void singleBlocks2(MemorySegment w, long o0, long o1, float[] x, int n, float[] out, int out0, int out1) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int xo = 0; xo < n; xo += QK, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
            FloatVector block0 = FloatVector.zero(F);
            FloatVector block1 = FloatVector.zero(F);
            for (int k = 0; k < HALF; k += L) {
                FloatVector xLow = FloatVector.fromArray(F, x, xo + k);
                FloatVector xHigh = FloatVector.fromArray(F, x, xo + k + HALF);
                ByteVector p0 = LegacySpecies.loadBytes(w, o0 + QS + k);
                ByteVector p1 = LegacySpecies.loadBytes(w, o1 + QS + k);
                block0 = high(p0).fma(xHigh, low(p0).fma(xLow, block0));
                block1 = high(p1).fma(xHigh, low(p1).fma(xLow, block1));
            }
            acc0 = block0.fma(LegacySpecies.halfBroadcast(w, o0), acc0);
            acc1 = block1.fma(LegacySpecies.halfBroadcast(w, o1), acc1);
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
    }

    /** Decodes {@code n} values into {@code dst}: (q - 8)·d per value, as the scalar decoder computes it. */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        LegacySpecies.checkBlocks(n);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            FloatVector d = LegacySpecies.halfBroadcast(w, offset);
            for (int k = 0; k < HALF; k += L) {
                ByteVector packed = LegacySpecies.loadBytes(w, offset + QS + k);
                low(packed).mul(d).intoArray(dst, dstOffset + k);
                high(packed).mul(d).intoArray(dst, dstOffset + HALF + k);
            }
        }
    }

    /** Low nibbles, re-centred, as floats (elements k..). */
    private static FloatVector low(ByteVector packed) {
        return LegacySpecies.widen(Nibbles.low(packed).sub((byte) 8));
    }

    /** High nibbles, re-centred, as floats (elements 16 + k..). */
    private static FloatVector high(ByteVector packed) {
        return LegacySpecies.widen(Nibbles.high(packed).sub((byte) 8));
    }
}
