package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.QS;
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
 * Q4_K · F32 with each nibble put straight into a float's mantissa. A level q at bits 19..22 under the exponent
 * of 1.0 is the float f = 1 + q/16, so one shift and one mask-and-or (a single {@code vpternlogd} with AVX-512)
 * make a vector of weights from a vector of 32-bit words: no widening from bytes, no int-to-float conversion.
 * With q = 16(f − 1) a sub-block's Σ(d·sc·q − dmin·m)·x is
 * <pre>  16·d·sc · Σf·x  −  (16·d·sc + dmin·m) · Σx</pre>
 * so the kernel sums f·x per sub-block, scales that sum once, and takes the second term from the sub-block's
 * Σx, made once per matrix-vector product by {@link NibbleWordLayout}. Lane i of a word vector holds bytes 4i..4i+3
 * of the levels, so the 8 nibble positions of a word are 8 interleaved runs of weights; the layout puts the
 * activations in that order. The cancellation in f − 1 costs about two of the float sums' 24 bits.
 * KQuantThroughput, 2048 columns: 13.0 against 10.1–10.9 Gweights/s at 512 bits, 11.1–11.6 against 8.1–8.7 at
 * 256 and 6.3 against 4.9 at 128 (docs/kernels-kquants.md, session 9).
 */
final class Q4_KMantissaVector {

    /** 32-bit words of levels per vector: one per float lane. */
    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, F.vectorShape());
    private static final int BYTES = NibbleWordLayout.BYTES;
    private static final int LOADS = NibbleWordLayout.LOADS;
    private static final IntVector MANTISSA_TOP4 = IntVector.broadcast(WORDS, 0x00780000);
    private static final IntVector ONE = IntVector.broadcast(WORDS, Float.floatToRawIntBits(1f));

    /**
     * At 16 lanes a word vector spans two 32-byte groups of levels, so lanes 0..7 and 8..15 belong to different
     * sub-blocks: their scales come from the super-block's 8 factors by a lane shuffle, one per (load, nibble).
     * Fields, not an array: C2 knows a static final field's class, not an array element's (see Vectors.FOLD_0).
     */
    private static final VectorShuffle<Float> SCALE_LANES_0 = W == 16 ? scaleShuffle(0, 0) : null;
    private static final VectorShuffle<Float> SCALE_LANES_1 = W == 16 ? scaleShuffle(0, 1) : null;
    private static final VectorShuffle<Float> SCALE_LANES_2 = W == 16 ? scaleShuffle(1, 0) : null;
    private static final VectorShuffle<Float> SCALE_LANES_3 = W == 16 ? scaleShuffle(1, 1) : null;

    /**
     * Per thread, below 16 lanes: one super-block's factors, 16·d·scale j at j and dmin·min j at 8 + j, for the
     * per-sub-block broadcasts (at 16 lanes the factors stay in a register).
     */
    private static final ThreadLocal<float[]> FACTORS = ThreadLocal.withInitial(() -> new float[2 * Q4_KMantissaVector.ROW_FACTORS]);

    /** Floats of {@link #FACTORS} per row: {@link #dot2}'s second row keeps its factors from here. */
    private static final int ROW_FACTORS = 16;

    private Q4_KMantissaVector() {
    }

    /** The row at {@code offset} times activations arranged by {@link NibbleWordLayout} (from {@code xOffset}). */
    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        float[] f = FACTORS.get();
        FloatVector acc = FloatVector.zero(F); // Σ 16·d·sc·Σf·x (below 16 lanes minus the sums' term too)
        FloatVector sums = FloatVector.zero(F); // Σ (16·d·sc + dmin·m)·Σx, at 16 lanes
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            // the 16 header bytes (d, dmin, 12 scale bytes) in one vector load: three segment reads inline three trees
            // of checks, and with them C2 sometimes passed its node cut-off and left the bounds checks as calls
            LongVector header = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk + D, ByteOrder.LITTLE_ENDIAN);
            long h0 = header.lane(0);
            long h1 = header.lane(1);
            int dBits = (int) h0; // d, then dmin
            long s0 = (h0 >>> 32) | (h1 << 32); // scale bytes 0..7
            int s8 = (int) (h1 >>> 32); // scale bytes 8..11
            float d16 = 16 * lowHalf(dBits);
            float dmin = highHalf(dBits);
            int xSums = xOffset + n + 16 * b;
            FloatVector scales;
            if (W == 16) {
                // the 16 factors in one register, made from one 128-bit vector of [scale bytes, min bytes]: stored to f and
                // loaded back as one vector, they spanned two stores, which the store buffer cannot forward (a quarter of
                // the kernel's time went there)
                scales = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s0, s8)).withLane(1, minsK4(s0, s8))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d16).blend(FloatVector.broadcast(F, dmin), Vectors.UPPER_HALF));
                sums = scales.fma(FloatVector.fromArray(F, x, xSums), sums);
            } else {
                // the bytes in a 128-bit long vector: a 64-bit one has a single lane, which C2 boxes
                ByteVector scaleBytes = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s0, s8)).reinterpretAsBytes();
                ByteVector minBytes = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s0, s8)).reinterpretAsBytes();
                // the factors: 16·d·scale j into f[j], dmin·min j into f[8 + j], for the per-sub-block broadcasts below.
                // Written out here: as a method C2 inlined it in some runs and not in others, and the call per super-block
                // (every vector register spilled around it) cost a quarter of a 1B Q4_K_M token
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) scaleBytes.convertShape(VectorOperators.B2F, F, p)).mul(d16).intoArray(f, p * W);
                }
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) minBytes.convertShape(VectorOperators.B2F, F, p)).mul(dmin).intoArray(f, 8 + p * W);
                }
                for (int c = 0; c < 16; c += W) { // straight into acc: a sums register fewer (see dot2)
                    acc = FloatVector.fromArray(F, f, c).fma(FloatVector.fromArray(F, x, xSums + c).neg(), acc);
                }
                scales = null;
            }
            for (int h = 0; h < LOADS; h++) {
                IntVector v = IntVector.fromMemorySegment(WORDS, w, blk + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                int xh = xOffset + b * QK_K + 8 * W * h;
                // Vector API calls only, no helper for the repeated decode: past C2's node budget a helper is left as a
                // call that boxes its vectors (docs/performance.md, "The node cut-off…")
                FloatVector lo = v.lanewise(VectorOperators.LSHL, 19).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .mul(FloatVector.fromArray(F, x, xh));
                lo = v.lanewise(VectorOperators.LSHL, 11).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + W), lo);
                lo = v.lanewise(VectorOperators.LSHL, 3).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 2 * W), lo);
                lo = v.lanewise(VectorOperators.LSHR, 5).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 3 * W), lo);
                FloatVector hi = v.lanewise(VectorOperators.LSHL, 15).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .mul(FloatVector.fromArray(F, x, xh + 4 * W));
                hi = v.lanewise(VectorOperators.LSHL, 7).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 5 * W), hi);
                hi = v.lanewise(VectorOperators.LSHR, 1).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 6 * W), hi);
                hi = v.lanewise(VectorOperators.LSHR, 9).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, xh + 7 * W), hi);
                if (W == 16) {
                    acc = lo.fma(scales.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc);
                    acc = hi.fma(scales.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc);
                } else { // all lanes in one sub-block: 2·group + nibble
                    int sub = 2 * (BYTES * h / 32);
                    acc = lo.fma(FloatVector.broadcast(F, f[sub]), acc);
                    acc = hi.fma(FloatVector.broadcast(F, f[sub + 1]), acc);
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

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}: both rows' decode and products
     * interleaved, every load of x shared (one row alone loads as many activations as weights).
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
            // each row's header and factors as in dot, written out twice for the reasons given there
            LongVector header0 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk0 + D, ByteOrder.LITTLE_ENDIAN);
            LongVector header1 = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, blk1 + D, ByteOrder.LITTLE_ENDIAN);
            long h00 = header0.lane(0);
            long h01 = header0.lane(1);
            long h10 = header1.lane(0);
            long h11 = header1.lane(1);
            int dBits0 = (int) h00;
            int dBits1 = (int) h10;
            long s00 = (h00 >>> 32) | (h01 << 32);
            long s10 = (h10 >>> 32) | (h11 << 32);
            int s08 = (int) (h01 >>> 32);
            int s18 = (int) (h11 >>> 32);
            float d160 = 16 * lowHalf(dBits0);
            float d161 = 16 * lowHalf(dBits1);
            float dmin0 = highHalf(dBits0);
            float dmin1 = highHalf(dBits1);
            int xSums = n + 16 * b;
            FloatVector scales0;
            FloatVector scales1;
            if (W == 16) { // the factors in registers, as in dot
                scales0 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s00, s08)).withLane(1, minsK4(s00, s08))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d160).blend(FloatVector.broadcast(F, dmin0), Vectors.UPPER_HALF));
                scales1 = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s10, s18)).withLane(1, minsK4(s10, s18))
                        .reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.broadcast(F, d161).blend(FloatVector.broadcast(F, dmin1), Vectors.UPPER_HALF));
                FloatVector xs = FloatVector.fromArray(F, x, xSums);
                sums0 = scales0.fma(xs, sums0);
                sums1 = scales1.fma(xs, sums1);
            } else {
                ByteVector scaleBytes0 = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s00, s08)).reinterpretAsBytes();
                ByteVector minBytes0 = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s00, s08)).reinterpretAsBytes();
                ByteVector scaleBytes1 = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s10, s18)).reinterpretAsBytes();
                ByteVector minBytes1 = LongVector.broadcast(LongVector.SPECIES_128, minsK4(s10, s18)).reinterpretAsBytes();
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) scaleBytes0.convertShape(VectorOperators.B2F, F, p)).mul(d160).intoArray(f, p * W);
                    ((FloatVector) scaleBytes1.convertShape(VectorOperators.B2F, F, p)).mul(d161).intoArray(f, ROW_FACTORS + p * W);
                }
                for (int p = 0; p * W < 8; p++) {
                    ((FloatVector) minBytes0.convertShape(VectorOperators.B2F, F, p)).mul(dmin0).intoArray(f, 8 + p * W);
                    ((FloatVector) minBytes1.convertShape(VectorOperators.B2F, F, p)).mul(dmin1).intoArray(f, ROW_FACTORS + 8 + p * W);
                }
                // straight into the accumulators, negated: two registers fewer, which AVX2's 16 are short of
                for (int c = 0; c < 16; c += W) {
                    FloatVector xs = FloatVector.fromArray(F, x, xSums + c).neg();
                    acc0 = FloatVector.fromArray(F, f, c).fma(xs, acc0);
                    acc1 = FloatVector.fromArray(F, f, ROW_FACTORS + c).fma(xs, acc1);
                }
                scales0 = null;
                scales1 = null;
            }
            for (int h = 0; h < LOADS; h++) {
                IntVector v0 = IntVector.fromMemorySegment(WORDS, w, blk0 + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                IntVector v1 = IntVector.fromMemorySegment(WORDS, w, blk1 + QS + BYTES * h, ByteOrder.LITTLE_ENDIAN);
                int xh = b * QK_K + 8 * W * h;
                FloatVector xp = FloatVector.fromArray(F, x, xh);
                FloatVector lo0 = v0.lanewise(VectorOperators.LSHL, 19).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector lo1 = v1.lanewise(VectorOperators.LSHL, 19).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + W);
                lo0 = v0.lanewise(VectorOperators.LSHL, 11).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo0);
                lo1 = v1.lanewise(VectorOperators.LSHL, 11).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo1);
                xp = FloatVector.fromArray(F, x, xh + 2 * W);
                lo0 = v0.lanewise(VectorOperators.LSHL, 3).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo0);
                lo1 = v1.lanewise(VectorOperators.LSHL, 3).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo1);
                xp = FloatVector.fromArray(F, x, xh + 3 * W);
                lo0 = v0.lanewise(VectorOperators.LSHR, 5).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo0);
                lo1 = v1.lanewise(VectorOperators.LSHR, 5).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, lo1);
                xp = FloatVector.fromArray(F, x, xh + 4 * W);
                FloatVector hi0 = v0.lanewise(VectorOperators.LSHL, 15).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().mul(xp);
                FloatVector hi1 = v1.lanewise(VectorOperators.LSHL, 15).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().mul(xp);
                xp = FloatVector.fromArray(F, x, xh + 5 * W);
                hi0 = v0.lanewise(VectorOperators.LSHL, 7).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi0);
                hi1 = v1.lanewise(VectorOperators.LSHL, 7).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi1);
                xp = FloatVector.fromArray(F, x, xh + 6 * W);
                hi0 = v0.lanewise(VectorOperators.LSHR, 1).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi0);
                hi1 = v1.lanewise(VectorOperators.LSHR, 1).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi1);
                xp = FloatVector.fromArray(F, x, xh + 7 * W);
                hi0 = v0.lanewise(VectorOperators.LSHR, 9).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi0);
                hi1 = v1.lanewise(VectorOperators.LSHR, 9).and(MANTISSA_TOP4).or(ONE).reinterpretAsFloats().fma(xp, hi1);
                if (W == 16) {
                    acc0 = lo0.fma(scales0.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc0);
                    acc0 = hi0.fma(scales0.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc0);
                    acc1 = lo1.fma(scales1.rearrange(h == 0 ? SCALE_LANES_0 : SCALE_LANES_2), acc1);
                    acc1 = hi1.fma(scales1.rearrange(h == 0 ? SCALE_LANES_1 : SCALE_LANES_3), acc1);
                } else {
                    int sub = 2 * (BYTES * h / 32);
                    acc0 = lo0.fma(FloatVector.broadcast(F, f[sub]), acc0);
                    acc0 = hi0.fma(FloatVector.broadcast(F, f[sub + 1]), acc0);
                    acc1 = lo1.fma(FloatVector.broadcast(F, f[ROW_FACTORS + sub]), acc1);
                    acc1 = hi1.fma(FloatVector.broadcast(F, f[ROW_FACTORS + sub + 1]), acc1);
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
