package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.D;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;
import static llm4j.quant.format.Q6_KFormat.SCALES;

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
 * Q6_K · F32 at 512 and 256 bits with each 6-bit level put straight into a float's mantissa, the route
 * {@link Q4_KMantissaVector} takes for Q4_K: a level q at bits 17..22 under the exponent of 1.0 is f = 1 + q/64, so
 * with q = 64(f − 1) a 16-value sub-block's
 * <pre>  Σ d·sc·(q − 32)·x  =  64·d·sc · (Σ f·x − 1.5·Σx)</pre>
 * Per half super-block (128 values: ql bytes l and 32 + l, low and high nibbles, under the four bit pairs of qh
 * byte l) one bitwise blend per kind of value makes a word vector whose bytes are whole levels (bits 6 and 7 left
 * over, masked off later), and then each byte position is a shift and a mask-and-or away from a vector of floats.
 * At 16 lanes the qh vector spans both halves, so the ql words are regrouped to match by two-vector permutes
 * ({@code vpermt2d}). The activations come in the matching order with each sub-block's Σx ({@link SixBitWordLayout}).
 * The kinds are decoded in the order 0, 2, 1, 3, so that the ql words of values 0..31 are dead before those of
 * 32..63 are used: in the order 0..3 C2 kept both live and spilled (9.2 against 11.4 Gweights/s at 256 bits).
 * KQuantThroughput, 2048 columns, against the wide byte-lane kernel this replaced: 10.7 against 8.9 Gweights/s at
 * 512 bits, 11.4 against 7.2 at 256 (docs/kernels-kquants.md, session 10). At 128 bits {@link Q6_KVector} stays.
 */
final class Q6_KMantissaVector {

    /** 32-bit words of levels per vector: one per float lane. */
    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Word vectors of levels per super-block: both halves at once at 16 lanes, one half per step at 8. */
    private static final int LOADS = SixBitWordLayout.LOADS;
    private static final IntVector NIBBLES = IntVector.broadcast(WORDS, 0x0F0F0F0F);
    private static final IntVector MANTISSA_TOP6 = IntVector.broadcast(WORDS, 0x007E0000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));

    /**
     * In {@link #dot2}, make b (the ql words of values 32..63 of a half) just before kinds 1 and 3 when AVX-512 gives
     * 32 vector registers: made at the top of a step it stayed live through kinds 0 and 2 and C2 spilled (61 vector
     * stack accesses per step at 512 bits; 16.0-16.4 against 13.0-14.1 Gweights/s, and 13.1-13.3 against 12.1-12.7 at
     * 256 bits). With AVX2's 16 registers the top is better (8.8 against 7.9 under -XX:UseAVX=2).
     */
    private static final boolean LATE_B = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    /** 16 lanes: half 0's words 0..7 of ql bytes 0..31, then half 1's (selectFrom indexes into ql words 0..31). */
    private static final IntVector FIRST_RUNS;
    /** 16 lanes: the words of ql bytes 32..63 of each half. */
    private static final IntVector SECOND_RUNS;
    /**
     * KIND_k: lane i's sub-block among the step's factors, for the values 32k + l of its half. Fields, not an array:
     * C2 knows a static final field's class, not an array element's, and a rearrange by a shuffle of unknown class
     * could fail to intrinsify (see Vectors.FOLD_0).
     */
    private static final VectorShuffle<Float> KIND_0 = SixBitWordLayout.kindShuffle(0);
    private static final VectorShuffle<Float> KIND_1 = SixBitWordLayout.kindShuffle(1);
    private static final VectorShuffle<Float> KIND_2 = SixBitWordLayout.kindShuffle(2);
    private static final VectorShuffle<Float> KIND_3 = SixBitWordLayout.kindShuffle(3);

    static {
        int[] first = new int[W];
        int[] second = new int[W];
        for (int i = 0; i < W; i++) {
            first[i] = 16 * (i / 8) + i % 8;
            second[i] = first[i] + 8;
        }
        FIRST_RUNS = IntVector.fromArray(WORDS, first, 0);
        SECOND_RUNS = IntVector.fromArray(WORDS, second, 0);
    }

    private Q6_KMantissaVector() {
    }

    /** The row at {@code offset} times activations arranged by {@link SixBitWordLayout} (from {@code xOffset}). */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F); // Σ 64·d·sc·Σf·x
        FloatVector sums = FloatVector.zero(F); // Σ 64·d·sc·Σx
        for (int sb = 0; sb < blocks; sb++) {
            long blk = offset + (long) sb * BLOCK_BYTES;
            // d is the last 2 bytes of a vector load: a scalar segment read can leave its bounds check as a call
            short dBits = (short) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk + D - 14, LE).lane(1) >>> 48);
            float d64 = 64 * Float.float16ToFloat(dBits);
            int xBlock = xOffset + sb * QK_K;
            int xSums = xOffset + n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                // Vector API calls only, no helpers: past C2's node budget a helper is left as a call that boxes
                IntVector qh;
                IntVector a;
                IntVector b;
                FloatVector factors;
                if (W == 16) { // both halves at once: ql words of value runs 0..31 and 32..63 of each half, by a two-vector permute
                    IntVector p = IntVector.fromMemorySegment(WORDS, w, blk + QL, LE);
                    IntVector q = IntVector.fromMemorySegment(WORDS, w, blk + QL + 64, LE);
                    a = FIRST_RUNS.selectFrom(p, q);
                    b = SECOND_RUNS.selectFrom(p, q);
                    qh = IntVector.fromMemorySegment(WORDS, w, blk + QH, LE);
                    factors = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk + SCALES, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d64);
                } else { // one half per step
                    a = IntVector.fromMemorySegment(WORDS, w, blk + QL + 64L * h, LE);
                    b = IntVector.fromMemorySegment(WORDS, w, blk + QL + 64L * h + 32, LE);
                    qh = IntVector.fromMemorySegment(WORDS, w, blk + QH + 32L * h, LE);
                    factors = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, blk + SCALES + 8L * h, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d64);
                }
                FloatVector xs = FloatVector.fromArray(F, x, xSums + W * h);
                if (W == 16) {
                    sums = factors.fma(xs, sums);
                } else { // straight into acc: a register fewer, which AVX2's 16 are short of (as in Q4_KMantissaVector)
                    acc = factors.fma(xs.mul(-1.5f), acc);
                }
                int xh = xBlock + 16 * W * h;
                // values 32·0 + l of each half: ql low nibbles under qh bit pair 0
                IntVector k0 = qh.lanewise(VectorOperators.LSHL, 4).bitwiseBlend(a, NIBBLES);
                FloatVector s0 = k0.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xh));
                s0 = k0.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + W), s0);
                s0 = k0.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 2 * W), s0);
                s0 = k0.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 3 * W), s0);
                acc = s0.fma(factors.rearrange(KIND_0), acc);
                // values 32·2 + l of each half: ql high nibbles under qh bit pair 2
                IntVector k2 = qh.bitwiseBlend(a.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                FloatVector s2 = k2.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xh + 8 * W));
                s2 = k2.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 9 * W), s2);
                s2 = k2.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 10 * W), s2);
                s2 = k2.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 11 * W), s2);
                acc = s2.fma(factors.rearrange(KIND_2), acc);
                // values 32·1 + l of each half: ql low nibbles under qh bit pair 1
                IntVector k1 = qh.lanewise(VectorOperators.LSHL, 2).bitwiseBlend(b, NIBBLES);
                FloatVector s1 = k1.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xh + 4 * W));
                s1 = k1.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 5 * W), s1);
                s1 = k1.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 6 * W), s1);
                s1 = k1.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 7 * W), s1);
                acc = s1.fma(factors.rearrange(KIND_1), acc);
                // values 32·3 + l of each half: ql high nibbles under qh bit pair 3
                IntVector k3 = qh.lanewise(VectorOperators.LSHR, 2).bitwiseBlend(b.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                FloatVector s3 = k3.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xh + 12 * W));
                s3 = k3.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 13 * W), s3);
                s3 = k3.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 14 * W), s3);
                s3 = k3.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xh + 15 * W), s3);
                acc = s3.fma(factors.rearrange(KIND_3), acc);
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
            short dBits0 = (short) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk0 + D - 14, LE).lane(1) >>> 48);
            short dBits1 = (short) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk1 + D - 14, LE).lane(1) >>> 48);
            float d640 = 64 * Float.float16ToFloat(dBits0);
            float d641 = 64 * Float.float16ToFloat(dBits1);
            int xBlock = sb * QK_K;
            int xSums = n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                IntVector qh0;
                IntVector a0;
                IntVector b0;
                FloatVector factors0;
                IntVector qh1;
                IntVector a1;
                IntVector b1;
                FloatVector factors1;
                if (W == 16) { // both halves at once: ql words of value runs 0..31 and 32..63 of each half, by a two-vector permute
                    IntVector p0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QL, LE);
                    IntVector q0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QL + 64, LE);
                    a0 = FIRST_RUNS.selectFrom(p0, q0);
                    b0 = null; // made after kinds 0 and 2, below
                    qh0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QH, LE);
                    factors0 = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk0 + SCALES, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d640);
                    IntVector p1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QL, LE);
                    IntVector q1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QL + 64, LE);
                    a1 = FIRST_RUNS.selectFrom(p1, q1);
                    b1 = null;
                    qh1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QH, LE);
                    factors1 = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk1 + SCALES, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d641);
                } else { // one half per step
                    a0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QL + 64L * h, LE);
                    b0 = LATE_B ? null : IntVector.fromMemorySegment(WORDS, w, blk0 + QL + 64L * h + 32, LE);
                    qh0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QH + 32L * h, LE);
                    factors0 = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, blk0 + SCALES + 8L * h, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d640);
                    a1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QL + 64L * h, LE);
                    b1 = LATE_B ? null : IntVector.fromMemorySegment(WORDS, w, blk1 + QL + 64L * h + 32, LE);
                    qh1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QH + 32L * h, LE);
                    factors1 = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, blk1 + SCALES + 8L * h, LE)
                            .convertShape(VectorOperators.B2F, F, 0)).mul(d641);
                }
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
                // values 32·0 + l of each half: ql low nibbles under qh bit pair 0
                IntVector k00 = qh0.lanewise(VectorOperators.LSHL, 4).bitwiseBlend(a0, NIBBLES);
                IntVector k10 = qh1.lanewise(VectorOperators.LSHL, 4).bitwiseBlend(a1, NIBBLES);
                FloatVector xp = FloatVector.fromArray(F, x, xh);
                FloatVector s00 = k00.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector s10 = k10.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + W);
                s00 = k00.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s00);
                s10 = k10.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s10);
                xp = FloatVector.fromArray(F, x, xh + 2 * W);
                s00 = k00.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s00);
                s10 = k10.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s10);
                xp = FloatVector.fromArray(F, x, xh + 3 * W);
                s00 = k00.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s00);
                s10 = k10.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s10);
                acc0 = s00.fma(factors0.rearrange(KIND_0), acc0);
                acc1 = s10.fma(factors1.rearrange(KIND_0), acc1);
                // values 32·2 + l of each half: ql high nibbles under qh bit pair 2
                IntVector k02 = qh0.bitwiseBlend(a0.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                IntVector k12 = qh1.bitwiseBlend(a1.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                xp = FloatVector.fromArray(F, x, xh + 8 * W);
                FloatVector s02 = k02.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector s12 = k12.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + 9 * W);
                s02 = k02.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s02);
                s12 = k12.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s12);
                xp = FloatVector.fromArray(F, x, xh + 10 * W);
                s02 = k02.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s02);
                s12 = k12.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s12);
                xp = FloatVector.fromArray(F, x, xh + 11 * W);
                s02 = k02.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s02);
                s12 = k12.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s12);
                acc0 = s02.fma(factors0.rearrange(KIND_2), acc0);
                acc1 = s12.fma(factors1.rearrange(KIND_2), acc1);
                if (LATE_B) { // b only now (see LATE_B)
                    if (W == 16) {
                        b0 = SECOND_RUNS.selectFrom(IntVector.fromMemorySegment(WORDS, w, blk0 + QL, LE),
                                IntVector.fromMemorySegment(WORDS, w, blk0 + QL + 64, LE));
                        b1 = SECOND_RUNS.selectFrom(IntVector.fromMemorySegment(WORDS, w, blk1 + QL, LE),
                                IntVector.fromMemorySegment(WORDS, w, blk1 + QL + 64, LE));
                    } else {
                        b0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QL + 64L * h + 32, LE);
                        b1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QL + 64L * h + 32, LE);
                    }
                }
                // values 32·1 + l of each half: ql low nibbles under qh bit pair 1
                IntVector k01 = qh0.lanewise(VectorOperators.LSHL, 2).bitwiseBlend(b0, NIBBLES);
                IntVector k11 = qh1.lanewise(VectorOperators.LSHL, 2).bitwiseBlend(b1, NIBBLES);
                xp = FloatVector.fromArray(F, x, xh + 4 * W);
                FloatVector s01 = k01.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector s11 = k11.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + 5 * W);
                s01 = k01.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s01);
                s11 = k11.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s11);
                xp = FloatVector.fromArray(F, x, xh + 6 * W);
                s01 = k01.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s01);
                s11 = k11.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s11);
                xp = FloatVector.fromArray(F, x, xh + 7 * W);
                s01 = k01.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s01);
                s11 = k11.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s11);
                acc0 = s01.fma(factors0.rearrange(KIND_1), acc0);
                acc1 = s11.fma(factors1.rearrange(KIND_1), acc1);
                // values 32·3 + l of each half: ql high nibbles under qh bit pair 3
                IntVector k03 = qh0.lanewise(VectorOperators.LSHR, 2).bitwiseBlend(b0.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                IntVector k13 = qh1.lanewise(VectorOperators.LSHR, 2).bitwiseBlend(b1.lanewise(VectorOperators.LSHR, 4), NIBBLES);
                xp = FloatVector.fromArray(F, x, xh + 12 * W);
                FloatVector s03 = k03.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector s13 = k13.lanewise(VectorOperators.LSHL, 17).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + 13 * W);
                s03 = k03.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s03);
                s13 = k13.lanewise(VectorOperators.LSHL, 9).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s13);
                xp = FloatVector.fromArray(F, x, xh + 14 * W);
                s03 = k03.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s03);
                s13 = k13.lanewise(VectorOperators.LSHL, 1).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s13);
                xp = FloatVector.fromArray(F, x, xh + 15 * W);
                s03 = k03.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s03);
                s13 = k13.lanewise(VectorOperators.LSHR, 7).and(MANTISSA_TOP6).or(ONE).reinterpretAsFloats().fma(xp, s13);
                acc0 = s03.fma(factors0.rearrange(KIND_3), acc0);
                acc1 = s13.fma(factors1.rearrange(KIND_3), acc1);
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
