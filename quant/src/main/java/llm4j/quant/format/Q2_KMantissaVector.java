package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.Q2_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q2_KFormat.QS;
import static llm4j.quant.format.Q2_KFormat.SCALES;
import static llm4j.quant.format.SixBitWordLayout.LOADS;
import static llm4j.quant.format.SixBitWordLayout.kindShuffle;

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
 * Q2_K · F32 at 512 and 256 bits through float mantissas, in {@link Q3_KMantissaVector}'s value order (bit pair j of
 * qs byte l is value 32j + l of its half) without the third bit: a level q at bits 21..22 under the exponent of 1.0 is
 * f = 1 + q/4, so a 16-value sub-block's Σ(d·sc·q − dmin·m)·x is 4·d·sc·Σf·x − (4·d·sc + dmin·m)·Σx. Per bit pair one
 * shift, then per byte position a shift and a mask-and-or make a vector of weights. The activations come in
 * {@link SixBitWordLayout}'s order. At 128 bits {@link Q2_KVector} stays.
 */
final class Q2_KMantissaVector {

    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final IntVector MANTISSA_TOP2 = IntVector.broadcast(WORDS, 0x00600000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));
    /** Each lane's sub-block among a step's factors, per bit pair (as Q6_K's kinds). Fields, not an array (see Vectors.FOLD_0). */
    private static final VectorShuffle<Float> PAIR_0 = kindShuffle(0);
    private static final VectorShuffle<Float> PAIR_1 = kindShuffle(1);
    private static final VectorShuffle<Float> PAIR_2 = kindShuffle(2);
    private static final VectorShuffle<Float> PAIR_3 = kindShuffle(3);

    private Q2_KMantissaVector() {
    }

    /** The row at {@code offset} times activations arranged by {@link SixBitWordLayout} (from {@code xOffset}). */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F); // Σ 4·d·sc·Σf·x
        FloatVector sums = FloatVector.zero(F); // Σ (4·d·sc + dmin·m)·Σx
        for (int sb = 0; sb < blocks; sb++) {
            long blk = offset + (long) sb * BLOCK_BYTES;
            // d and dmin are the block's last 4 bytes: one vector load of its last 16
            int dBits = (int) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk + BLOCK_BYTES - 16, LE).lane(1) >>> 32);
            float d4 = 4 * Float.float16ToFloat((short) dBits);
            float dmin = Float.float16ToFloat((short) (dBits >>> 16));
            // byte j: scale j in the low nibble, min j in the high one (16-bit shift, x86 has no byte shift; the mask cuts what crossed)
            ByteVector packed = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk + SCALES, LE);
            ByteVector scaleBytes = packed.and((byte) 0x0F);
            ByteVector minBytes = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
            int xBlock = xOffset + sb * QK_K;
            int xSums = xOffset + n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                // Vector API calls only, no helpers: past C2's node budget a helper is left as a call that boxes
                IntVector q = IntVector.fromMemorySegment(WORDS, w, blk + QS + (W == 16 ? 0 : 32L * h), LE);
                FloatVector scales = ((FloatVector) scaleBytes.convertShape(VectorOperators.B2F, F, h)).mul(d4);
                FloatVector offsets = scales.add(((FloatVector) minBytes.convertShape(VectorOperators.B2F, F, h)).mul(dmin));
                sums = offsets.fma(FloatVector.fromArray(F, x, xSums + W * h), sums);
                int xh = xBlock + 16 * W * h;
                for (int j = 0; j < 4; j++) {
                    IntVector lvl = q.lanewise(VectorOperators.LSHR, 2 * j); // bits 0..1 of each byte; the rest is cut below
                    int xj = xh + 4 * W * j;
                    FloatVector s = lvl.lanewise(VectorOperators.LSHL, 21).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats()
                            .mul(FloatVector.fromArray(F, x, xj));
                    s = lvl.lanewise(VectorOperators.LSHL, 13).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + W), s);
                    s = lvl.lanewise(VectorOperators.LSHL, 5).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + 2 * W), s);
                    s = lvl.lanewise(VectorOperators.LSHR, 3).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats()
                            .fma(FloatVector.fromArray(F, x, xj + 3 * W), s);
                    acc = s.fma(scales.rearrange(j == 0 ? PAIR_0 : j == 1 ? PAIR_1 : j == 2 ? PAIR_2 : PAIR_3), acc);
                }
            }
        }
        // Vectors.sum's folds written out: parsed last, a call to it is past C2's node cut-off and boxes its argument
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
            int dBits0 = (int) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk0 + BLOCK_BYTES - 16, LE).lane(1) >>> 32);
            int dBits1 = (int) (LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk1 + BLOCK_BYTES - 16, LE).lane(1) >>> 32);
            float d40 = 4 * Float.float16ToFloat((short) dBits0);
            float d41 = 4 * Float.float16ToFloat((short) dBits1);
            float dmin0 = Float.float16ToFloat((short) (dBits0 >>> 16));
            float dmin1 = Float.float16ToFloat((short) (dBits1 >>> 16));
            ByteVector packed0 = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk0 + SCALES, LE);
            ByteVector packed1 = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk1 + SCALES, LE);
            ByteVector scaleBytes0 = packed0.and((byte) 0x0F);
            ByteVector scaleBytes1 = packed1.and((byte) 0x0F);
            ByteVector minBytes0 = packed0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
            ByteVector minBytes1 = packed1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
            int xBlock = sb * QK_K;
            int xSums = n + 16 * sb;
            for (int h = 0; h < LOADS; h++) {
                IntVector q0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS + (W == 16 ? 0 : 32L * h), LE);
                IntVector q1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS + (W == 16 ? 0 : 32L * h), LE);
                FloatVector scales0 = ((FloatVector) scaleBytes0.convertShape(VectorOperators.B2F, F, h)).mul(d40);
                FloatVector scales1 = ((FloatVector) scaleBytes1.convertShape(VectorOperators.B2F, F, h)).mul(d41);
                FloatVector offsets0 = scales0.add(((FloatVector) minBytes0.convertShape(VectorOperators.B2F, F, h)).mul(dmin0));
                FloatVector offsets1 = scales1.add(((FloatVector) minBytes1.convertShape(VectorOperators.B2F, F, h)).mul(dmin1));
                FloatVector xs = FloatVector.fromArray(F, x, xSums + W * h);
                sums0 = offsets0.fma(xs, sums0);
                sums1 = offsets1.fma(xs, sums1);
                int xh = xBlock + 16 * W * h;
                for (int j = 0; j < 4; j++) {
                    IntVector lvl0 = q0.lanewise(VectorOperators.LSHR, 2 * j);
                    IntVector lvl1 = q1.lanewise(VectorOperators.LSHR, 2 * j);
                    int xj = xh + 4 * W * j;
                    FloatVector xp = FloatVector.fromArray(F, x, xj);
                    FloatVector s0 = lvl0.lanewise(VectorOperators.LSHL, 21).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().mul(xp);
                    FloatVector s1 = lvl1.lanewise(VectorOperators.LSHL, 21).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().mul(xp);
                    xp = FloatVector.fromArray(F, x, xj + W);
                    s0 = lvl0.lanewise(VectorOperators.LSHL, 13).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHL, 13).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    xp = FloatVector.fromArray(F, x, xj + 2 * W);
                    s0 = lvl0.lanewise(VectorOperators.LSHL, 5).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHL, 5).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    xp = FloatVector.fromArray(F, x, xj + 3 * W);
                    s0 = lvl0.lanewise(VectorOperators.LSHR, 3).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s0);
                    s1 = lvl1.lanewise(VectorOperators.LSHR, 3).and(MANTISSA_TOP2).or(ONE).reinterpretAsFloats().fma(xp, s1);
                    VectorShuffle<Float> pair = j == 0 ? PAIR_0 : j == 1 ? PAIR_1 : j == 2 ? PAIR_2 : PAIR_3;
                    acc0 = s0.fma(scales0.rearrange(pair), acc0);
                    acc1 = s1.fma(scales1.rearrange(pair), acc1);
                }
            }
        }
        // Vectors.sum2's folds written out (see dot); the same folds in the same order, so the same bits
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
