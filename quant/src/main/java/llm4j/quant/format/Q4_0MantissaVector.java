package llm4j.quant.format;

import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.LegacyBlocks.QK;
import static llm4j.quant.format.NibbleBlockLayout.GROUP;
import static llm4j.quant.format.NibbleBlockLayout.GROUP_FLOATS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;
import llm4j.quant.kernel.Q4_0Kernel;

/**
 * Q4_0 · F32 with each nibble put straight into a float's mantissa, as {@link Q4_KMantissaVector} does: a level q
 * at bits 19..22 under the exponent of 1.0 is f = 1 + q/16, so (q − 8)·d = 16·d·(f − 1.5) and a block's
 * <pre>  Σ (q − 8)·d·x  =  16·d · (Σ f·x − 1.5·Σx)</pre>
 * One vector of 32-bit words covers W/4 blocks (a group, {@link NibbleBlockLayout}); the blocks' 18-byte stride
 * puts a 2-byte scale between their levels, so the words have to be gathered:
 * <ul>
 * <li>16 lanes (AVX-512): the group's 72 bytes as two loads of 16-bit halves (at bytes 0 and 8), one two-vector
 *     permute ({@code vpermt2w}) for the 4 blocks' levels and one permute of the first load for their scales.</li>
 * <li>8 and 4 lanes: block k's levels from a load 2k bytes further on, blended into lanes 4k..4k+3, and the scales
 *     from a load of the group's first 4W bytes by a lane shuffle and a per-lane shift (AVX2 has no 16-bit
 *     permute).</li>
 * </ul>
 * Either way each lane ends with its block's fp16 scale in its top half, and two masks and a multiply by 2^112
 * make it a float (an exponent re-bias, exact for normal and subnormal halves; an infinite or NaN scale reads as a
 * large finite one). Each of the 8 nibble positions is then a shift and a mask-and-or from a vector of weights, and
 * the low and high nibbles sum in two chains (one chain of 9 FMAs paced the loop: 14.5 against 15.9 Gweights/s).
 * KQuantThroughput, 2048 columns, against the per-block kernel: 19.2 against 16.3 Gweights/s at 512 bits, 14.8
 * against 13.0 at 256, 7.4 against 4.8 at 128 (docs/kernels-legacy.md, session 10).
 */
final class Q4_0MantissaVector {

    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final int BLOCK_BYTES = Q4_0Format.BLOCK_BYTES;
    private static final int QS = 2;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final IntVector MANTISSA_TOP4 = IntVector.broadcast(WORDS, 0x00780000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));
    /** Where a shifted word gives way to 1.0's bits: everything but the mantissa's top 4 bits. */
    private static final IntVector OUTSIDE_TOP4 = IntVector.broadcast(WORDS, ~0x00780000);
    private static final IntVector SIGN = IntVector.broadcast(WORDS, 0x80000000);
    /** The 5 exponent and 10 mantissa bits of a half in its float position, once shifted down from bits 16..31. */
    private static final IntVector EXPONENT_MANTISSA = IntVector.broadcast(WORDS, 0x0FFFE000);
    /** 2^112 re-biases a half's exponent as a float's; the 16 is from q = 16·(f − 1). */
    private static final float HALF_BIAS_16 = 0x1p116f;

    /** Lane l: the group's word holding block l/4's scale, the half at byte 18·(l/4). */
    private static final VectorShuffle<Integer> SCALE_WORD;
    /** 16 where that half is its word's low half, 0 where it is the high half: every lane's scale ends at bits 16..31. */
    private static final IntVector SCALE_SHIFT;
    /** BLOCK_LANES[k]: lanes 4k..4k+3, block k's words (k ≥ 1). */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Integer>[] BLOCK_LANES = new VectorMask[GROUP];

    /** At 16 lanes (AVX-512): a group's 72 bytes as two loads of 32 halves, at bytes 0 and 8. */
    private static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class, F.vectorShape());
    /** selectFrom indexes into those two loads: block k's 8 level halves (group half 9k + 1 + t) to lanes 8k + t. */
    private static final ShortVector LEVEL_HALVES;
    /** Block k's scale (group half 9k) to the top half of int lanes 4k..4k+3. */
    private static final VectorShuffle<Short> SCALE_HALVES;

    static {
        short[] levels = new short[2 * W];
        int[] scales = new int[2 * W];
        for (int s = 0; s < 2 * W; s++) {
            int half = 9 * (s / 8) + 1 + s % 8;
            levels[s] = (short) (half < 2 * W ? half : 2 * W + half - 4);
            scales[s] = 9 * (s / 8);
        }
        LEVEL_HALVES = ShortVector.fromArray(HALVES, levels, 0);
        SCALE_HALVES = VectorShuffle.fromArray(HALVES, scales, 0);
    }

    static {
        int[] word = new int[W];
        int[] shift = new int[W];
        for (int l = 0; l < W; l++) {
            int half = BLOCK_BYTES * (l / 4) / 2;
            word[l] = half / 2;
            shift[l] = half % 2 == 0 ? 16 : 0;
        }
        SCALE_WORD = VectorShuffle.fromArray(WORDS, word, 0);
        SCALE_SHIFT = IntVector.fromArray(WORDS, shift, 0);
        for (int k = 0; k < GROUP; k++) {
            BLOCK_LANES[k] = VectorMask.fromLong(WORDS, 0xFL << (4 * k));
        }
    }

    private Q4_0MantissaVector() {
    }

    /** The row at {@code offset} times activations arranged by {@link NibbleBlockLayout} (from {@code xOffset}). */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        int blocks = n / QK;
        if (!NibbleBlockLayout.arranged(blocks)) {
            return Q4_0Kernel.dot(w, offset, x, xOffset, n);
        }
        FloatVector acc = FloatVector.zero(F);
        for (int g = 0, groups = NibbleBlockLayout.groups(blocks); g < groups; g++) {
            long blk = offset + (long) NibbleBlockLayout.groupStart(g, blocks) * BLOCK_BYTES;
            // Vector API calls only, no helpers for the repeated decode: past C2's node budget a helper is left as a
            // call that boxes its vectors (docs/performance.md, "The node cut-off…")
            IntVector v;
            IntVector h;
            if (W == 16) {
                ShortVector a = ShortVector.fromMemorySegment(HALVES, w, blk, LE);
                v = LEVEL_HALVES.selectFrom(a, ShortVector.fromMemorySegment(HALVES, w, blk + 8, LE)).reinterpretAsInts();
                h = a.rearrange(SCALE_HALVES).reinterpretAsInts();
            } else {
                v = IntVector.fromMemorySegment(WORDS, w, blk + QS, LE);
                for (int k = 1; k < GROUP; k++) {
                    v = v.blend(IntVector.fromMemorySegment(WORDS, w, blk + QS + 2L * k, LE), BLOCK_LANES[k]);
                }
                h = IntVector.fromMemorySegment(WORDS, w, blk, LE).rearrange(SCALE_WORD)
                        .lanewise(VectorOperators.LSHL, SCALE_SHIFT);
            }
            FloatVector d16 = h.and(SIGN).or(h.lanewise(VectorOperators.LSHR, 3).and(EXPONENT_MANTISSA))
                    .reinterpretAsFloats().mul(HALF_BIAS_16);
            int xg = xOffset + g * GROUP_FLOATS;
            // two chains of products (low and high nibbles), so that one FMA's latency does not pace the loop
            FloatVector lo = FloatVector.fromArray(F, x, xg + 8 * W).mul(-1.5f);
            lo = v.lanewise(VectorOperators.LSHL, 19).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg), lo);
            lo = v.lanewise(VectorOperators.LSHL, 11).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + W), lo);
            lo = v.lanewise(VectorOperators.LSHL, 3).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + 2 * W), lo);
            lo = v.lanewise(VectorOperators.LSHR, 5).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + 3 * W), lo);
            FloatVector hi = v.lanewise(VectorOperators.LSHL, 15).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(F, x, xg + 4 * W));
            hi = v.lanewise(VectorOperators.LSHL, 7).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + 5 * W), hi);
            hi = v.lanewise(VectorOperators.LSHR, 1).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + 6 * W), hi);
            hi = v.lanewise(VectorOperators.LSHR, 9).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(F, x, xg + 7 * W), hi);
            acc = lo.add(hi).fma(d16, acc);
        }
        // Vectors.sum's folds written out: parsed last, a call to it is past C2's node cut-off and boxes its argument
        // (session 10 checked again, with the folds as constants: the 135M Q4_0 file at 77-79 tokens/s with calls to
        // sum and sum2 against 100-111 written out, alternating processes)
        FloatVector total = FloatVector.zero(F).add(acc);
        total = total.add(total.rearrange(Vectors.FOLD_0));
        total = total.add(total.rearrange(Vectors.FOLD_1));
        if (Vectors.FOLDS.length > 2) {
            total = total.add(total.rearrange(Vectors.FOLD_2));
        }
        if (Vectors.FOLDS.length > 3) {
            total = total.add(total.rearrange(Vectors.FOLD_3));
        }
        return total.lane(0);
    }

    /** Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x. */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        LegacyBlocks.checkBlocks(n);
        int blocks = n / QK;
        if (!NibbleBlockLayout.arranged(blocks)) {
            Q4_0Kernel.dot2(w, offset0, offset1, x, n, out, out0, out1);
            return;
        }
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int g = 0, groups = NibbleBlockLayout.groups(blocks); g < groups; g++) {
            long start = (long) NibbleBlockLayout.groupStart(g, blocks) * BLOCK_BYTES;
            long blk0 = offset0 + start;
            long blk1 = offset1 + start;
            IntVector v0;
            IntVector v1;
            IntVector h0;
            IntVector h1;
            if (W == 16) {
                ShortVector a0 = ShortVector.fromMemorySegment(HALVES, w, blk0, LE);
                ShortVector a1 = ShortVector.fromMemorySegment(HALVES, w, blk1, LE);
                v0 = LEVEL_HALVES.selectFrom(a0, ShortVector.fromMemorySegment(HALVES, w, blk0 + 8, LE)).reinterpretAsInts();
                v1 = LEVEL_HALVES.selectFrom(a1, ShortVector.fromMemorySegment(HALVES, w, blk1 + 8, LE)).reinterpretAsInts();
                h0 = a0.rearrange(SCALE_HALVES).reinterpretAsInts();
                h1 = a1.rearrange(SCALE_HALVES).reinterpretAsInts();
            } else {
                v0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS, LE);
                v1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS, LE);
                for (int k = 1; k < GROUP; k++) {
                    v0 = v0.blend(IntVector.fromMemorySegment(WORDS, w, blk0 + QS + 2L * k, LE), BLOCK_LANES[k]);
                    v1 = v1.blend(IntVector.fromMemorySegment(WORDS, w, blk1 + QS + 2L * k, LE), BLOCK_LANES[k]);
                }
                h0 = IntVector.fromMemorySegment(WORDS, w, blk0, LE).rearrange(SCALE_WORD)
                        .lanewise(VectorOperators.LSHL, SCALE_SHIFT);
                h1 = IntVector.fromMemorySegment(WORDS, w, blk1, LE).rearrange(SCALE_WORD)
                        .lanewise(VectorOperators.LSHL, SCALE_SHIFT);
            }
            FloatVector d0 = h0.and(SIGN).or(h0.lanewise(VectorOperators.LSHR, 3).and(EXPONENT_MANTISSA))
                    .reinterpretAsFloats().mul(HALF_BIAS_16);
            FloatVector d1 = h1.and(SIGN).or(h1.lanewise(VectorOperators.LSHR, 3).and(EXPONENT_MANTISSA))
                    .reinterpretAsFloats().mul(HALF_BIAS_16);
            int xg = g * GROUP_FLOATS;
            FloatVector xs = FloatVector.fromArray(F, x, xg + 8 * W).mul(-1.5f);
            FloatVector xp = FloatVector.fromArray(F, x, xg);
            FloatVector lo0 = v0.lanewise(VectorOperators.LSHL, 19).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, xs);
            FloatVector lo1 = v1.lanewise(VectorOperators.LSHL, 19).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, xs);
            xp = FloatVector.fromArray(F, x, xg + W);
            lo0 = v0.lanewise(VectorOperators.LSHL, 11).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo0);
            lo1 = v1.lanewise(VectorOperators.LSHL, 11).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo1);
            xp = FloatVector.fromArray(F, x, xg + 2 * W);
            lo0 = v0.lanewise(VectorOperators.LSHL, 3).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo0);
            lo1 = v1.lanewise(VectorOperators.LSHL, 3).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo1);
            xp = FloatVector.fromArray(F, x, xg + 3 * W);
            lo0 = v0.lanewise(VectorOperators.LSHR, 5).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo0);
            lo1 = v1.lanewise(VectorOperators.LSHR, 5).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, lo1);
            xp = FloatVector.fromArray(F, x, xg + 4 * W);
            FloatVector hi0 = v0.lanewise(VectorOperators.LSHL, 15).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().mul(xp);
            FloatVector hi1 = v1.lanewise(VectorOperators.LSHL, 15).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().mul(xp);
            xp = FloatVector.fromArray(F, x, xg + 5 * W);
            hi0 = v0.lanewise(VectorOperators.LSHL, 7).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi0);
            hi1 = v1.lanewise(VectorOperators.LSHL, 7).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi1);
            xp = FloatVector.fromArray(F, x, xg + 6 * W);
            hi0 = v0.lanewise(VectorOperators.LSHR, 1).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi0);
            hi1 = v1.lanewise(VectorOperators.LSHR, 1).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi1);
            xp = FloatVector.fromArray(F, x, xg + 7 * W);
            hi0 = v0.lanewise(VectorOperators.LSHR, 9).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi0);
            hi1 = v1.lanewise(VectorOperators.LSHR, 9).bitwiseBlend(ONE, OUTSIDE_TOP4).reinterpretAsFloats().fma(xp, hi1);
            acc0 = lo0.add(hi0).fma(d0, acc0);
            acc1 = lo1.add(hi1).fma(d1, acc1);
        }
        // Vectors.sum2's folds written out, for the reason dot gives; the same folds in the same order, so the same bits
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
        out[out1] = v.lane(W / 2);
    }
}
