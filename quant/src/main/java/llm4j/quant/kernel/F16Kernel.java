package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.S;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;
import llm4j.quant.format.F16Format;

/**
 * F16 · F32 dot product. JDK 25's Vector API has no half-float lane conversion, so halves are
 * widened in int lanes: sign-extend, shift the 15 exponent+mantissa bits into float position
 * (exponent still biased by 15) and multiply by 2^112 to rebias. The multiply, unlike an integer
 * exponent add, is exact for zeros and subnormals too. Inf/NaN (exponent 31) would come out as
 * finite numbers ≥ 65536, so the loop flags them and such rows fall back to the scalar kernel.
 */
public final class F16Kernel {

    /** Keeps the sign (bit 31, copied there by sign extension) and the shifted 15 value bits. */
    private static final int SIGN_AND_VALUE = 0x8FFF_E000;
    /** 2^(127-15): turns a binary16 exponent into a float32 one. */
    private static final float REBIAS = 0x1p112f;
    /** Adding one to the exponent field carries into bit 28 exactly when the exponent was 31. */
    private static final int EXPONENT_ONE = 0x0080_0000;
    private static final int CARRY = 0x1000_0000;

    /** Rows in pairs, one accumulator each, at 16 lanes and more (see {@link #dot}). */
    private static final boolean PAIRED = L >= 16;

    private F16Kernel() {
    }

    /**
     * One accumulator, L elements per step, where {@link #dot2} pairs rows: it gives each of its rows exactly this
     * chain (a lone row comes here), and two rows' chains keep two FMAs in flight. Narrower vectors keep two
     * alternating accumulators: one 8-lane chain waits on FMA latency (6.2 against 8.3 Gweights/s alone,
     * 7.7 in pairs, 576 columns at 256 bits).
     */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        if (!PAIRED) {
            return twoChains(w, offset, x, xOffset, n);
        }
        FloatVector acc = FloatVector.zero(F);
        IntVector specials = IntVector.zero(I);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            IntVector bits = halfBits(w, offset + 2L * i);
            specials = specials.or(bits.add(EXPONENT_ONE));
            acc = toFloats(bits).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        if ((specials.reduceLanes(VectorOperators.OR) & CARRY) != 0) {
            return F16Format.dotScalar(w, offset, x, xOffset, n);
        }
        float sum = Vectors.sum(FloatVector.zero(F).add(acc));
        if (i < n) {
            sum += F16Format.dotScalar(w, offset + 2L * i, x, xOffset + i, n - i);
        }
        return sum;
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x
     * (docs/performance.md, "Rows in pairs"); narrower vectors run {@link #dot} twice (a pair loop with two
     * chains per row boxed at 256 bits: 2.0 against 8.2 Gweights/s). A pair with Inf or NaN in either row has
     * each row redone by {@link #dot}, which decides for itself.
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (!PAIRED) {
            out[out0] = dot(w, offset0, x, 0, n);
            out[out1] = dot(w, offset1, x, 0, n);
            return;
        }
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        IntVector specials = IntVector.zero(I);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            FloatVector xs = FloatVector.fromArray(F, x, i);
            IntVector bits0 = halfBits(w, offset0 + 2L * i);
            IntVector bits1 = halfBits(w, offset1 + 2L * i);
            specials = specials.or(bits0.add(EXPONENT_ONE)).or(bits1.add(EXPONENT_ONE));
            acc0 = toFloats(bits0).fma(xs, acc0);
            acc1 = toFloats(bits1).fma(xs, acc1);
        }
        if ((specials.reduceLanes(VectorOperators.OR) & CARRY) != 0) {
            out[out0] = dot(w, offset0, x, 0, n);
            out[out1] = dot(w, offset1, x, 0, n);
            return;
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
        if (i < n) {
            out[out0] += F16Format.dotScalar(w, offset0 + 2L * i, x, i, n - i);
            out[out1] += F16Format.dotScalar(w, offset1 + 2L * i, x, i, n - i);
        }
    }

    /** Blocks of 2L elements alternate between two accumulators, so two FMA chains are in flight. */
    private static float twoChains(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        IntVector specials = IntVector.zero(I);
        int i = 0;
        for (int bound = n - n % (2 * L); i < bound; i += 2 * L) {
            IntVector bits0 = halfBits(w, offset + 2L * i);
            IntVector bits1 = halfBits(w, offset + 2L * (i + L));
            specials = specials.or(bits0.add(EXPONENT_ONE)).or(bits1.add(EXPONENT_ONE));
            acc0 = toFloats(bits0).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = toFloats(bits1).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        for (int bound = n - n % L; i < bound; i += L) {
            IntVector bits = halfBits(w, offset + 2L * i);
            specials = specials.or(bits.add(EXPONENT_ONE));
            acc0 = toFloats(bits).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        if ((specials.reduceLanes(VectorOperators.OR) & CARRY) != 0) {
            return F16Format.dotScalar(w, offset, x, xOffset, n);
        }
        float sum = Vectors.sum(acc0.add(acc1));
        if (i < n) {
            sum += F16Format.dotScalar(w, offset + 2L * i, x, xOffset + i, n - i);
        }
        return sum;
    }

    /**
     * Decodes {@code n} values into {@code dst}, bit for bit {@link F16Format#dequantize}: the widening above,
     * exact for every finite half. A row holding Inf or NaN (flagged as in {@link #dot}) is decoded again by the
     * scalar decoder, which quiets NaNs as ggml does; so is the last n mod L, so no load passes the row's end.
     * Vector API calls only in the loop ({@link #halfBits} and {@link #toFloats}, compiled on their own first,
     * could return boxed vectors).
     */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        IntVector specials = IntVector.zero(I);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            IntVector bits = ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                    .and(SIGN_AND_VALUE);
            specials = specials.or(bits.add(EXPONENT_ONE));
            bits.reinterpretAsFloats().mul(REBIAS).intoArray(dst, dstOffset + i);
        }
        if ((specials.reduceLanes(VectorOperators.OR) & CARRY) != 0) {
            F16Format.INSTANCE.dequantize(w, offset, dst, dstOffset, i);
        }
        if (i < n) {
            F16Format.INSTANCE.dequantize(w, offset + 2L * i, dst, dstOffset + i, n - i);
        }
    }

    private static IntVector halfBits(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        return ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(SIGN_AND_VALUE);
    }

    private static FloatVector toFloats(IntVector bits) {
        return bits.reinterpretAsFloats().mul(REBIAS);
    }
}
