package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.Q5_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q5_KFormat.D;
import static llm4j.quant.format.Q5_KFormat.QH;
import static llm4j.quant.format.Q5_KFormat.QS;
import static llm4j.quant.format.NibbleWordLayout.scaleShuffle;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Q5_K · F32 as {@link Q4_KMantissaVector}: a word vector's nibbles get their fifth bit from
 * qh (bit 2·group + nibble of the qh byte with the same index in its group) in byte lanes, and each byte's 5-bit level
 * q then goes to bits 18..22 under the exponent of 1.0: f = 1 + q/32, q = 32(f − 1). A sub-block's
 * Σ(d·sc·q − dmin·m)·x is 32·d·sc·Σf·x − (32·d·sc + dmin·m)·Σx, the activations arranged by
 * {@link NibbleWordLayout}. At 512 bits a word vector spans two groups, which read the same qh bytes at different
 * bits: qh is loaded once per super-block with its 8 words in both halves, and per-lane shift counts bring each half's
 * bit to bit 4 of every byte. KQuantThroughput: docs/kernels-kquants.md, sessions 9 and 12.
 */
final class Q5_KMantissaVector {

    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final int BYTES = NibbleWordLayout.BYTES;
    private static final int LOADS = NibbleWordLayout.LOADS;
    private static final IntVector NIBBLES = IntVector.broadcast(WORDS, 0x0F0F0F0F);
    /** Bit 4 of every byte: where the fifth level bit goes. */
    private static final IntVector FIFTH_BITS = IntVector.broadcast(WORDS, 0x10101010);
    private static final IntVector MANTISSA_TOP5 = IntVector.broadcast(WORDS, 0x007C0000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));

    /** At 16 lanes: qh's 8 words in both halves of a vector (the two groups of a word vector read the same qh bytes). */
    private static final VectorShuffle<Integer> QH_TWICE = W == 16 ? VectorShuffle.fromOp(WORDS, i -> i % 8) : null;
    /**
     * At 16 lanes, shift counts that bring group g's qh bit (2g for the low nibbles, 2g + 1 for the high ones) to bit 4
     * of each byte: lanes 0..7 are group 2h and lanes 8..15 group 2h + 1 of word vector h. Fields, not an array (see
     * Vectors.FOLD_0).
     */
    private static final IntVector LEFT_LOW_0 = W == 16 ? KVectors.halves(WORDS, 4, 2) : null;
    private static final IntVector LEFT_HIGH_0 = W == 16 ? KVectors.halves(WORDS, 3, 1) : null;
    private static final IntVector RIGHT_LOW_1 = W == 16 ? KVectors.halves(WORDS, 0, 2) : null;
    private static final IntVector RIGHT_HIGH_1 = W == 16 ? KVectors.halves(WORDS, 1, 3) : null;
    /** At 16 lanes each lane's sub-block factor, as in Q4_KMantissaVector. */
    private static final VectorShuffle<Float> SCALE_LANES_0 = W == 16 ? scaleShuffle(0, 0) : null;
    private static final VectorShuffle<Float> SCALE_LANES_1 = W == 16 ? scaleShuffle(0, 1) : null;
    private static final VectorShuffle<Float> SCALE_LANES_2 = W == 16 ? scaleShuffle(1, 0) : null;
    private static final VectorShuffle<Float> SCALE_LANES_3 = W == 16 ? scaleShuffle(1, 1) : null;

    /** Per thread, below 16 lanes: one super-block's factors, 32·d·scale j at j and dmin·min j at 8 + j. */
    private static final ThreadLocal<float[]> FACTORS = ThreadLocal.withInitial(() -> new float[32]);

    private Q5_KMantissaVector() {
    }

    /**
     * The row at {@code offset} times activations arranged by {@link NibbleWordLayout} (from {@code xOffset}).
     */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        float[] f = FACTORS.get();
        FloatVector acc = FloatVector.zero(F); // Σ 32·d·sc·Σf·x
        FloatVector sums = FloatVector.zero(F); // Σ (32·d·sc + dmin·m)·Σx
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            // header and factors as in Q4_KMantissaVector (one vector load; no helper, see there)
            LongVector header = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk + D, ByteOrder.LITTLE_ENDIAN);
            long h0 = header.lane(0);
            long h1 = header.lane(1);
            int dBits = (int) h0; // d, then dmin
            long s0 = (h0 >>> 32) | (h1 << 32); // scale bytes 0..7
            int s8 = (int) (h1 >>> 32); // scale bytes 8..11
            float d32 = 32 * lowHalf(dBits);
            float dmin = highHalf(dBits);
            int xSums = xOffset + n + 16 * b;
            FloatVector scales;
            IntVector qhBoth;
            if (W == 16) { // the factors in one register, as in Q4_KMantissaVector
                scales = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s0, s8)).withLane(1, minsK4(s0, s8))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d32).blend(FloatVector.broadcast(F, dmin), Vectors.UPPER_HALF));
                sums = scales.fma(FloatVector.fromArray(F, x, xSums), sums);
                qhBoth = IntVector.fromMemorySegment(WORDS, w, blk + QH, ByteOrder.LITTLE_ENDIAN).rearrange(QH_TWICE);
            } else {
                ByteVector scaleBytes = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s0, s8)).reinterpretAsBytes();
                ByteVector minBytes = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s0, s8)).reinterpretAsBytes();
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) scaleBytes.convertShape(VectorOperators.B2F, F, p)).mul(d32).intoArray(f, p * W);
                    ((FloatVector) minBytes.convertShape(VectorOperators.B2F, F, p)).mul(dmin).intoArray(f, 8 + p * W);
                }
                // straight into acc, negated: a register fewer, which AVX2's 16 are short of (as in Q4_KMantissaVector)
                for (int c = 0; c < 16; c += W) {
                    acc = FloatVector.fromArray(F, f, c).fma(FloatVector.fromArray(F, x, xSums + c).neg(), acc);
                }
                scales = null;
                qhBoth = null;
            }
            for (int h = 0; h < LOADS; h++) {
                int group = BYTES * h / 32;
                IntVector v = IntVector.fromMemorySegment(WORDS, w, blk + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                // each byte's fifth bit at bit 4: the low nibbles are sub-block 2·group, the high ones 2·group + 1
                IntVector fifthLo;
                IntVector fifthHi;
                if (W == 16) {
                    fifthLo = h == 0 ? qhBoth.lanewise(VectorOperators.LSHL, LEFT_LOW_0) : qhBoth.lanewise(VectorOperators.LSHR, RIGHT_LOW_1);
                    fifthHi = h == 0 ? qhBoth.lanewise(VectorOperators.LSHL, LEFT_HIGH_0) : qhBoth.lanewise(VectorOperators.LSHR, RIGHT_HIGH_1);
                } else {
                    IntVector qh = IntVector.fromMemorySegment(WORDS, w, blk + QH + BYTES * h % 32, ByteOrder.LITTLE_ENDIAN);
                    fifthLo = qh.lanewise(VectorOperators.LSHR, 2 * group).lanewise(VectorOperators.LSHL, 4);
                    fifthHi = qh.lanewise(VectorOperators.LSHR, 2 * group + 1).lanewise(VectorOperators.LSHL, 4);
                }
                IntVector lo = v.and(NIBBLES).or(fifthLo.and(FIFTH_BITS));
                IntVector hi = v.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).or(fifthHi.and(FIFTH_BITS));
                int xh = xOffset + b * QK_K + 8 * W * h;
                // Vector API calls only, no helper (see Q4_KMantissaVector)
                FloatVector sumLo = lo.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .mul(FloatVector.fromArray(F, x, xh));
                sumLo = lo.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + W), sumLo);
                sumLo = lo.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 2 * W), sumLo);
                sumLo = lo.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 3 * W), sumLo);
                FloatVector sumHi = hi.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .mul(FloatVector.fromArray(F, x, xh + 4 * W));
                sumHi = hi.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 5 * W), sumHi);
                sumHi = hi.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 6 * W), sumHi);
                sumHi = hi.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 7 * W), sumHi);
                if (W == 16) {
                    acc = sumLo.fma(scales.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc);
                    acc = sumHi.fma(scales.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc);
                } else {
                    acc = sumLo.fma(FloatVector.broadcast(F, f[2 * group]), acc);
                    acc = sumHi.fma(FloatVector.broadcast(F, f[2 * group + 1]), acc);
                }
            }
        }
        // Vectors.sum's folds written out (see Q4_KMantissaVector)
        FloatVector total = acc.sub(sums);
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
    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}: both rows' decode interleaved,
     * every load of x shared (as {@link Q4_KMantissaVector#dot2}). Row 1's factors are at 16 of the per-thread array.
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        float[] f = FACTORS.get();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector sums0 = FloatVector.zero(F);
        FloatVector sums1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            long blk1 = offset1 + (long) b * BLOCK_BYTES;
            LongVector header0 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk0 + D, ByteOrder.LITTLE_ENDIAN);
            long h00 = header0.lane(0);
            long h01 = header0.lane(1);
            int dBits0 = (int) h00;
            long s00 = (h00 >>> 32) | (h01 << 32);
            int s08 = (int) (h01 >>> 32);
            float d320 = 32 * lowHalf(dBits0);
            float dmin0 = highHalf(dBits0);
            LongVector header1 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk1 + D, ByteOrder.LITTLE_ENDIAN);
            long h10 = header1.lane(0);
            long h11 = header1.lane(1);
            int dBits1 = (int) h10;
            long s10 = (h10 >>> 32) | (h11 << 32);
            int s18 = (int) (h11 >>> 32);
            float d321 = 32 * lowHalf(dBits1);
            float dmin1 = highHalf(dBits1);
            int xSums = n + 16 * b;
            FloatVector scales0;
            FloatVector scales1;
            IntVector qhBoth0;
            IntVector qhBoth1;
            if (W == 16) { // as in dot
                scales0 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s00, s08)).withLane(1, minsK4(s00, s08))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d320).blend(FloatVector.broadcast(F, dmin0), Vectors.UPPER_HALF));
                scales1 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s10, s18)).withLane(1, minsK4(s10, s18))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d321).blend(FloatVector.broadcast(F, dmin1), Vectors.UPPER_HALF));
                FloatVector xs = FloatVector.fromArray(F, x, xSums);
                sums0 = scales0.fma(xs, sums0);
                sums1 = scales1.fma(xs, sums1);
                qhBoth0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QH, ByteOrder.LITTLE_ENDIAN).rearrange(QH_TWICE);
                qhBoth1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QH, ByteOrder.LITTLE_ENDIAN).rearrange(QH_TWICE);
            } else {
                ByteVector scaleBytes0 = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s00, s08)).reinterpretAsBytes();
                ByteVector minBytes0 = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s00, s08)).reinterpretAsBytes();
                ByteVector scaleBytes1 = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s10, s18)).reinterpretAsBytes();
                ByteVector minBytes1 = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s10, s18)).reinterpretAsBytes();
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) scaleBytes0.convertShape(VectorOperators.B2F, F, p)).mul(d320).intoArray(f, p * W);
                    ((FloatVector) minBytes0.convertShape(VectorOperators.B2F, F, p)).mul(dmin0).intoArray(f, 8 + p * W);
                    ((FloatVector) scaleBytes1.convertShape(VectorOperators.B2F, F, p)).mul(d321).intoArray(f, 16 + p * W);
                    ((FloatVector) minBytes1.convertShape(VectorOperators.B2F, F, p)).mul(dmin1).intoArray(f, 24 + p * W);
                }
                for (int c = 0; c < 16; c += W) { // as in dot
                    FloatVector xs = FloatVector.fromArray(F, x, xSums + c).neg();
                    acc0 = FloatVector.fromArray(F, f, c).fma(xs, acc0);
                    acc1 = FloatVector.fromArray(F, f, 16 + c).fma(xs, acc1);
                }
                scales0 = null;
                scales1 = null;
                qhBoth0 = null;
                qhBoth1 = null;
            }
            for (int h = 0; h < LOADS; h++) {
                int group = BYTES * h / 32;
                IntVector v0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                IntVector v1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                IntVector fifthLo0;
                IntVector fifthHi0;
                IntVector fifthLo1;
                IntVector fifthHi1;
                if (W == 16) {
                    fifthLo0 = h == 0 ? qhBoth0.lanewise(VectorOperators.LSHL, LEFT_LOW_0) : qhBoth0.lanewise(VectorOperators.LSHR, RIGHT_LOW_1);
                    fifthHi0 = h == 0 ? qhBoth0.lanewise(VectorOperators.LSHL, LEFT_HIGH_0) : qhBoth0.lanewise(VectorOperators.LSHR, RIGHT_HIGH_1);
                    fifthLo1 = h == 0 ? qhBoth1.lanewise(VectorOperators.LSHL, LEFT_LOW_0) : qhBoth1.lanewise(VectorOperators.LSHR, RIGHT_LOW_1);
                    fifthHi1 = h == 0 ? qhBoth1.lanewise(VectorOperators.LSHL, LEFT_HIGH_0) : qhBoth1.lanewise(VectorOperators.LSHR, RIGHT_HIGH_1);
                } else {
                    IntVector qh0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QH + BYTES * h % 32, ByteOrder.LITTLE_ENDIAN);
                    IntVector qh1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QH + BYTES * h % 32, ByteOrder.LITTLE_ENDIAN);
                    fifthLo0 = qh0.lanewise(VectorOperators.LSHR, 2 * group).lanewise(VectorOperators.LSHL, 4);
                    fifthHi0 = qh0.lanewise(VectorOperators.LSHR, 2 * group + 1).lanewise(VectorOperators.LSHL, 4);
                    fifthLo1 = qh1.lanewise(VectorOperators.LSHR, 2 * group).lanewise(VectorOperators.LSHL, 4);
                    fifthHi1 = qh1.lanewise(VectorOperators.LSHR, 2 * group + 1).lanewise(VectorOperators.LSHL, 4);
                }
                IntVector lo0 = v0.and(NIBBLES).or(fifthLo0.and(FIFTH_BITS));
                IntVector hi0 = v0.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).or(fifthHi0.and(FIFTH_BITS));
                IntVector lo1 = v1.and(NIBBLES).or(fifthLo1.and(FIFTH_BITS));
                IntVector hi1 = v1.lanewise(VectorOperators.LSHR, 4).and(NIBBLES).or(fifthHi1.and(FIFTH_BITS));
                int xh = b * QK_K + 8 * W * h;
                FloatVector xp = FloatVector.fromArray(F, x, xh);
                FloatVector sumLo0 = lo0.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector sumLo1 = lo1.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + W);
                sumLo0 = lo0.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo0);
                sumLo1 = lo1.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo1);
                xp = FloatVector.fromArray(F, x, xh + 2 * W);
                sumLo0 = lo0.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo0);
                sumLo1 = lo1.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo1);
                xp = FloatVector.fromArray(F, x, xh + 3 * W);
                sumLo0 = lo0.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo0);
                sumLo1 = lo1.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumLo1);
                xp = FloatVector.fromArray(F, x, xh + 4 * W);
                FloatVector sumHi0 = hi0.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector sumHi1 = hi1.lanewise(VectorOperators.LSHL, 18).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + 5 * W);
                sumHi0 = hi0.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi0);
                sumHi1 = hi1.lanewise(VectorOperators.LSHL, 10).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi1);
                xp = FloatVector.fromArray(F, x, xh + 6 * W);
                sumHi0 = hi0.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi0);
                sumHi1 = hi1.lanewise(VectorOperators.LSHL, 2).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi1);
                xp = FloatVector.fromArray(F, x, xh + 7 * W);
                sumHi0 = hi0.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi0);
                sumHi1 = hi1.lanewise(VectorOperators.LSHR, 6).and(MANTISSA_TOP5).or(ONE).reinterpretAsFloats().fma(xp, sumHi1);
                if (W == 16) {
                    acc0 = sumLo0.fma(scales0.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc0);
                    acc0 = sumHi0.fma(scales0.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc0);
                    acc1 = sumLo1.fma(scales1.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc1);
                    acc1 = sumHi1.fma(scales1.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc1);
                } else {
                    acc0 = sumLo0.fma(FloatVector.broadcast(F, f[2 * group]), acc0);
                    acc0 = sumHi0.fma(FloatVector.broadcast(F, f[2 * group + 1]), acc0);
                    acc1 = sumLo1.fma(FloatVector.broadcast(F, f[16 + 2 * group]), acc1);
                    acc1 = sumHi1.fma(FloatVector.broadcast(F, f[16 + 2 * group + 1]), acc1);
                }
            }
        }
        // Vectors.sum2's folds written out (see Q4_KMantissaVector); the same folds in the same order, so the same bits
        FloatVector a = acc0.sub(sums0);
        FloatVector c = acc1.sub(sums1);
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
