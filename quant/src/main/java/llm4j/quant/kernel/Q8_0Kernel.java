package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q8_0 · F32 dot product: per block, the signed bytes are widened to float lanes and multiplied
 * into a block sum, which is scaled by d once. Blocks alternate between two accumulators, so two
 * scale FMAs are in flight instead of one chain (docs/performance.md: +30 % at 512 bits).
 */
public final class Q8_0Kernel {

    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        int blocks = n / QK;
        int b = 0;
        // written out, no helper per block: C2 compiles a hot helper on its own first and then finds it
        // too big to inline, and every block's vector is boxed (60-100 MB per token, measured)
        for (; b + 1 < blocks; b += 2, offset += 2 * BLOCK_BYTES, xOffset += 2 * QK) {
            long next = offset + BLOCK_BYTES;
            FloatVector s0 = codes(w, offset + QS).mul(FloatVector.fromArray(F, x, xOffset));
            FloatVector s1 = codes(w, next + QS).mul(FloatVector.fromArray(F, x, xOffset + QK));
            for (int k = L; k < QK; k += L) {
                s0 = codes(w, offset + QS + k).fma(FloatVector.fromArray(F, x, xOffset + k), s0);
                s1 = codes(w, next + QS + k).fma(FloatVector.fromArray(F, x, xOffset + QK + k), s1);
            }
            even = s0.fma(LegacySpecies.halfBroadcast(w, offset), even);
            odd = s1.fma(LegacySpecies.halfBroadcast(w, next), odd);
        }
        if (b < blocks) {
            FloatVector s0 = codes(w, offset + QS).mul(FloatVector.fromArray(F, x, xOffset));
            for (int k = L; k < QK; k += L) {
                s0 = codes(w, offset + QS + k).fma(FloatVector.fromArray(F, x, xOffset + k), s0);
            }
            even = s0.fma(LegacySpecies.halfBroadcast(w, offset), even);
        }
        return Vectors.sum(even.add(odd));
    }

    /** Decodes {@code n} values into {@code dst}: q·d per value, as the scalar decoder computes it. */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        LegacySpecies.checkBlocks(n);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            FloatVector d = LegacySpecies.halfBroadcast(w, offset);
            for (int k = 0; k < QK; k += L) {
                codes(w, offset + QS + k).mul(d).intoArray(dst, dstOffset + k);
            }
        }
    }

    private static FloatVector codes(MemorySegment w, long offset) {
        return LegacySpecies.widen(LegacySpecies.loadBytes(w, offset));
    }
}
