package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.Q3_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q3_KFormat.HMASK;
import static llm4j.quant.format.Q3_KFormat.QS;
import static llm4j.quant.format.Q3_KFormat.SCALES;
import static llm4j.quant.format.SixBitWordLayout.LOADS;
import static llm4j.quant.format.SixBitWordLayout.kindShuffle;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Q3_K · F32 at 512 and 256 bits through float mantissas, as {@link Q6_KMantissaVector} does Q6_K, whose value order
 * Q3_K shares: value 32j + l of a half super-block is bit pair j of qs byte l (of the half's 32), with bit 4·half + j
 * of hmask byte l as its third bit. Per pair j one shift and one bitwise blend make a word vector whose bytes hold
 * whole 3-bit levels in bits 0..2 (the bits above are left over, masked off later); each byte position is then a
 * shift and a mask-and-or away from a float f = 1 + lvl/8 (lvl at bits 20..22). With q = lvl − 4 = 8(f − 1.5), a
 * 16-value sub-block's Σ d·sc·q·x is 8·d·sc·(Σf·x − 1.5·Σx). At 16 lanes one word vector holds both halves' qs
 * (lanes 0..7 and 8..15) and hmask is loaded once with its 8 words in both halves; a per-lane rotation brings each
 * half's bit to bit 2. The activations come in {@link SixBitWordLayout}'s order. At 128 bits {@link Q3_KVector} stays.
 */
final class Q3_KMantissaVector {

    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bit 2 of every byte: where the hmask bit goes. */
    private static final IntVector BIT_2 = IntVector.broadcast(WORDS, 0x04040404);
    private static final IntVector MANTISSA_TOP3 = IntVector.broadcast(WORDS, 0x00700000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));
    /** At 16 lanes: hmask's 8 words in both halves of a vector (both halves of a super-block read the same bytes). */
    private static final VectorShuffle<Integer> HMASK_TWICE = W == 16 ? VectorShuffle.fromOp(WORDS, i -> i % 8) : null;
    /**
     * At 16 lanes, rotations (right) that bring bit j (half 0, lanes 0..7) and bit 4 + j (half 1, lanes 8..15) of
     * each hmask byte to bit 2, for pair j. Fields, not an array (see Vectors.FOLD_0).
     */
    private static final IntVector ROTATE_0 = W == 16 ? KVectors.halves(WORDS, 30, 2) : null;
    private static final IntVector ROTATE_1 = W == 16 ? KVectors.halves(WORDS, 31, 3) : null;
    private static final IntVector ROTATE_2 = W == 16 ? KVectors.halves(WORDS, 0, 4) : null;
    private static final IntVector ROTATE_3 = W == 16 ? KVectors.halves(WORDS, 1, 5) : null;
    /** Each lane's sub-block among a step's factors, per pair (as Q6_K's kinds). */
    private static final VectorShuffle<Float> PAIR_0 = kindShuffle(0);
    private static final VectorShuffle<Float> PAIR_1 = kindShuffle(1);
    private static final VectorShuffle<Float> PAIR_2 = kindShuffle(2);
    private static final VectorShuffle<Float> PAIR_3 = kindShuffle(3);

    private Q3_KMantissaVector() {
    }

    /** The row at {@code offset} times activations arranged by {@link SixBitWordLayout} (from {@code xOffset}). */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F); // Σ 8·d·sc·Σf·x
        FloatVector sums = FloatVector.zero(F); // Σ 8·d·sc·Σx
        for (int sb = 0; sb < blocks; sb++) {
            long blk = offset + (long) sb * BLOCK_BYTES;
            // the 12 scale bytes and d are the block's last 14 bytes: one vector load of its last 16
            LongVector tail = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk + SCALES - 2, LE);
            long t0 = tail.lane(0);
            long t1 = tail.lane(1);
            long low = (t0 >>> 16) | (t1 << 48); // scale bytes 0..7
            long high = (t1 >>> 16) & 0xFFFFFFFFL; // scale bytes 8..11
            float d8 = 8 * Float.float16ToFloat((short) (t1 >>> 48));
            // the 16 six-bit scales (+32), 0..7 in first and 8..15 in second: nibbles of bytes 0..7, two bits of 8..11 on top
            long first = (low & 0x0F0F0F0F0F0F0F0FL) | (((high & 0x03030303L) | (((high >>> 2) & 0x03030303L) << 32)) << 4);
            long second = ((low >>> 4) & 0x0F0F0F0F0F0F0F0FL) | ((((high >>> 4) & 0x03030303L) | (((high >>> 6) & 0x03030303L) << 32)) << 4);
            int xBlock = xOffset + sb * QK_K;
            int xSums = xOffset + n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                // Vector API calls only, no helpers: past C2's node budget a helper is left as a call that boxes
                IntVector q;
                IntVector hm;
                if (W == 16) { // both halves at once
                    q = IntVector.fromMemorySegment(WORDS, w, blk + QS, LE);
                    hm = IntVector.fromMemorySegment(WORDS, w, blk + HMASK, LE).rearrange(HMASK_TWICE);
                } else { // half h
                    q = IntVector.fromMemorySegment(WORDS, w, blk + QS + 32L * h, LE);
                    hm = IntVector.fromMemorySegment(WORDS, w, blk + HMASK, LE);
                }
                FloatVector factors = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, first).withLane(1, second)
                        .reinterpretAsBytes().sub((byte) 32).convertShape(VectorOperators.B2F, F, h)).mul(d8);
                if (W == 16) {
                    sums = factors.fma(FloatVector.fromArray(F, x, xSums + W * h), sums);
                } else { // straight into acc: a register fewer, which AVX2's 16 are short of (as in Q4_KMantissaVector)
                    acc = factors.fma(FloatVector.fromArray(F, x, xSums + W * h).mul(-1.5f), acc);
                }
                int xh = xBlock + 16 * W * h;
                for (int j = 0; j < 4; j++) {
                    // pair j: bits 0..1 from qs, bit 2 from hmask bit 4·half + j
                    IntVector high3;
                    if (W == 16) {
                        high3 = hm.lanewise(VectorOperators.ROR, j == 0 ? ROTATE_0 : j == 1 ? ROTATE_1 : j == 2 ? ROTATE_2 : ROTATE_3);
                    } else {
                        int s = 4 * h + j - 2;
                        high3 = s >= 0 ? hm.lanewise(VectorOperators.LSHR, s) : hm.lanewise(VectorOperators.LSHL, -s);
                    }
                    IntVector lvl = q.lanewise(VectorOperators.LSHR, 2 * j).bitwiseBlend(high3, BIT_2);
                    int xj = xh + 4 * W * j;
                    FloatVector s = lvl.lanewise(VectorOperators.LSHL, 20).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats()
                            .mul(FloatVector.fromArray(F, x, xj));
                    s = lvl.lanewise(VectorOperators.LSHL, 12).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + W), s);
                    s = lvl.lanewise(VectorOperators.LSHL, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + 2 * W), s);
                    s = lvl.lanewise(VectorOperators.LSHR, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + 3 * W), s);
                    acc = s.fma(factors.rearrange(j == 0 ? PAIR_0 : j == 1 ? PAIR_1 : j == 2 ? PAIR_2 : PAIR_3), acc);
                }
            }
        }
        // Vectors.sum's folds written out: parsed last, a call to it is past C2's node cut-off and boxes its argument
        FloatVector total = acc.sub(sums.mul(1.5f));
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
        int blocks = KQuants.superBlocks(n);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector sums0 = FloatVector.zero(F);
        FloatVector sums1 = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long blk0 = offset0 + (long) sb * BLOCK_BYTES;
            long blk1 = offset1 + (long) sb * BLOCK_BYTES;
            LongVector tail0 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk0 + SCALES - 2, LE);
            LongVector tail1 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk1 + SCALES - 2, LE);
            long t00 = tail0.lane(0);
            long t01 = tail0.lane(1);
            long t10 = tail1.lane(0);
            long t11 = tail1.lane(1);
            long low0 = (t00 >>> 16) | (t01 << 48);
            long high0 = (t01 >>> 16) & 0xFFFFFFFFL;
            long low1 = (t10 >>> 16) | (t11 << 48);
            long high1 = (t11 >>> 16) & 0xFFFFFFFFL;
            float d80 = 8 * Float.float16ToFloat((short) (t01 >>> 48));
            float d81 = 8 * Float.float16ToFloat((short) (t11 >>> 48));
            long first0 = (low0 & 0x0F0F0F0F0F0F0F0FL) | (((high0 & 0x03030303L) | (((high0 >>> 2) & 0x03030303L) << 32)) << 4);
            long second0 = ((low0 >>> 4) & 0x0F0F0F0F0F0F0F0FL) | ((((high0 >>> 4) & 0x03030303L) | (((high0 >>> 6) & 0x03030303L) << 32)) << 4);
            long first1 = (low1 & 0x0F0F0F0F0F0F0F0FL) | (((high1 & 0x03030303L) | (((high1 >>> 2) & 0x03030303L) << 32)) << 4);
            long second1 = ((low1 >>> 4) & 0x0F0F0F0F0F0F0F0FL) | ((((high1 >>> 4) & 0x03030303L) | (((high1 >>> 6) & 0x03030303L) << 32)) << 4);
            int xBlock = sb * QK_K;
            int xSums = n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                IntVector q0;
                IntVector hm0;
                IntVector q1;
                IntVector hm1;
                if (W == 16) {
                    q0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS, LE);
                    hm0 = IntVector.fromMemorySegment(WORDS, w, blk0 + HMASK, LE).rearrange(HMASK_TWICE);
                    q1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS, LE);
                    hm1 = IntVector.fromMemorySegment(WORDS, w, blk1 + HMASK, LE).rearrange(HMASK_TWICE);
                } else {
                    q0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS + 32L * h, LE);
                    hm0 = IntVector.fromMemorySegment(WORDS, w, blk0 + HMASK, LE);
                    q1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS + 32L * h, LE);
                    hm1 = IntVector.fromMemorySegment(WORDS, w, blk1 + HMASK, LE);
                }
                FloatVector factors0 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, first0).withLane(1, second0)
                        .reinterpretAsBytes().sub((byte) 32).convertShape(VectorOperators.B2F, F, h)).mul(d80);
                FloatVector factors1 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, first1).withLane(1, second1)
                        .reinterpretAsBytes().sub((byte) 32).convertShape(VectorOperators.B2F, F, h)).mul(d81);
                FloatVector xs = FloatVector.fromArray(F, x, xSums + W * h);
                if (W == 16) {
                    sums0 = factors0.fma(xs, sums0);
                    sums1 = factors1.fma(xs, sums1);
                } else { // as in dot
                    FloatVector offsets = xs.mul(-1.5f);
                    acc0 = factors0.fma(offsets, acc0);
                    acc1 = factors1.fma(offsets, acc1);
                }
                int xh = xBlock + 16 * W * h;
                for (int j = 0; j < 4; j++) {
                    IntVector high30;
                    IntVector high31;
                    if (W == 16) {
                        IntVector rotate = j == 0 ? ROTATE_0 : j == 1 ? ROTATE_1 : j == 2 ? ROTATE_2 : ROTATE_3;
                        high30 = hm0.lanewise(VectorOperators.ROR, rotate);
                        high31 = hm1.lanewise(VectorOperators.ROR, rotate);
                    } else {
                        int s = 4 * h + j - 2;
                        high30 = s >= 0 ? hm0.lanewise(VectorOperators.LSHR, s) : hm0.lanewise(VectorOperators.LSHL, -s);
                        high31 = s >= 0 ? hm1.lanewise(VectorOperators.LSHR, s) : hm1.lanewise(VectorOperators.LSHL, -s);
                    }
                    IntVector lvl0 = q0.lanewise(VectorOperators.LSHR, 2 * j).bitwiseBlend(high30, BIT_2);
                    IntVector lvl1 = q1.lanewise(VectorOperators.LSHR, 2 * j).bitwiseBlend(high31, BIT_2);
                    int xj = xh + 4 * W * j;
                    FloatVector xp = FloatVector.fromArray(F, x, xj);
                    FloatVector s0 = lvl0.lanewise(VectorOperators.LSHL, 20).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().mul(xp);
                    FloatVector s1 = lvl1.lanewise(VectorOperators.LSHL, 20).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().mul(xp);
                    xp = FloatVector.fromArray(F, x, xj + W);
                    s0 = lvl0.lanewise(VectorOperators.LSHL, 12).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHL, 12).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    xp = FloatVector.fromArray(F, x, xj + 2 * W);
                    s0 = lvl0.lanewise(VectorOperators.LSHL, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHL, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    xp = FloatVector.fromArray(F, x, xj + 3 * W);
                    s0 = lvl0.lanewise(VectorOperators.LSHR, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHR, 4).and(MANTISSA_TOP3).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    VectorShuffle<Float> pair = j == 0 ? PAIR_0 : j == 1 ? PAIR_1 : j == 2 ? PAIR_2 : PAIR_3;
                    acc0 = s0.fma(factors0.rearrange(pair), acc0);
                    acc1 = s1.fma(factors1.rearrange(pair), acc1);
                }
            }
        }
        // Vectors.sum2's folds written out (see dot); the same folds in the same order, so the same bits
        FloatVector a = acc0.sub(sums0.mul(1.5f));
        FloatVector c = acc1.sub(sums1.mul(1.5f));
        FloatVector v = a.add(a.rearrange(Vectors.FOLD_0)).blend(c.add(c.rearrange(Vectors.FOLD_0)), Vectors.UPPER_HALF);
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
