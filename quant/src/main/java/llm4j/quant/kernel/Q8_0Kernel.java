package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import llm4j.quant.Vectors;

/**
 * Q8_0 · F32 dot product: per block, the signed bytes are widened to float lanes and multiplied
 * into a block sum, which is scaled by d once. {@link #dot2} takes two rows per pass (matVec's usual
 * path), which is also what keeps two scale FMAs in flight.
 */
public final class Q8_0Kernel {

    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        if (L != QK / 2) {
            return alternatingBlocks(w, offset, x, xOffset, n);
        }
        // 16 lanes: one accumulator, in block order, the chain dot2 gives each of its rows. Written out, no
        // helper per block: C2 compiles a hot helper on its own first and then finds it too big to inline,
        // and every block's vector is boxed (60-100 MB per token, measured)
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            FloatVector s = codes(w, offset + QS).mul(FloatVector.fromArray(F, x, xOffset));
            s = codes(w, offset + QS + L).fma(FloatVector.fromArray(F, x, xOffset + L), s);
            acc = s.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(FloatVector.zero(F).add(acc));
    }

    /**
     * Narrower vectors (several loads per block): blocks alternate between two accumulators, two scale FMAs in
     * flight. At 256 bits this beat a two-row pass over the 135M model (85 vs 73 tokens/s), so dot2 runs
     * this twice there.
     */
    private static float alternatingBlocks(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        int blocks = n / QK;
        int b = 0;
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

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}; with 16 lanes both rows share
     * every load of x (docs/performance.md, "Rows in pairs"), other widths run {@link #dot} twice.
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (L != QK / 2) {
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
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + L);
            FloatVector s0 = codes(w, o0 + QS + L).fma(x1, codes(w, o0 + QS).mul(x0));
            FloatVector s1 = codes(w, o1 + QS + L).fma(x1, codes(w, o1 + QS).mul(x0));
            acc0 = s0.fma(LegacySpecies.halfBroadcast(w, o0), acc0);
            acc1 = s1.fma(LegacySpecies.halfBroadcast(w, o1), acc1);
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
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
