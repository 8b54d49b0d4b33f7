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
 * to floats and multiplied into a block sum that is scaled by d once. Blocks alternate between two
 * accumulators, so two scale FMAs are in flight instead of one chain (docs/performance.md: +20 %
 * at 512 bits).
 */
public final class Q4_0Kernel {

    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;
    private static final int HALF = QK / 2;

    private Q4_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        // narrower vectors need several loads per block: the paired loop then outgrows C2's node budget and its
        // vectors are boxed (28 kB per row at 256 bits, 12x slower), so they keep one block per iteration
        if (L < HALF) {
            return singleBlocks(w, offset, x, xOffset, n);
        }
        // 16 lanes: one load of 16 bytes is a whole block, both halves of it. Written out, no helper per block
        // and no separate tail: the kernel sits near C2's node budget, and past it the final sum's shuffles
        // stay calls that box every vector (60-100 MB per token, measured). An odd last block is paired with
        // itself at scale zero instead.
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b += 2, offset += 2 * BLOCK_BYTES, xOffset += 2 * QK) {
            boolean pair = b + 1 < blocks;
            long next = pair ? offset + BLOCK_BYTES : offset;
            int xNext = pair ? xOffset + QK : xOffset;
            ByteVector p0 = LegacySpecies.loadBytes(w, offset + QS);
            ByteVector p1 = LegacySpecies.loadBytes(w, next + QS);
            FloatVector s0 = low(p0).mul(FloatVector.fromArray(F, x, xOffset));
            FloatVector s1 = low(p1).mul(FloatVector.fromArray(F, x, xNext));
            s0 = high(p0).fma(FloatVector.fromArray(F, x, xOffset + HALF), s0);
            s1 = high(p1).fma(FloatVector.fromArray(F, x, xNext + HALF), s1);
            even = s0.fma(LegacySpecies.halfBroadcast(w, offset), even);
            odd = s1.fma(pair ? LegacySpecies.halfBroadcast(w, next) : FloatVector.zero(F), odd);
        }
        return Vectors.sum(even.add(odd));
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
