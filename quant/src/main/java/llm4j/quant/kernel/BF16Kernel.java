package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.I;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_SHORT;
import static llm4j.quant.kernel.LegacySpecies.S;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;

/** BF16 · F32 dot product: a bfloat16 widened to int lanes and shifted up 16 bits is its float. */
public final class BF16Kernel {

    /**
     * Rows in pairs, one accumulator each, at 16 lanes and more (see {@link #dot}). Narrower vectors have no pair
     * kernel: a {@link #dot2} that ran {@link #dot} twice was 7-13 % slower at 256 bits than matVec's own row loop.
     */
    public static final boolean PAIRED = L >= 16;

    private BF16Kernel() {
    }

    /**
     * One accumulator, L elements per step, where {@link #dot2} pairs rows: it gives each of its rows exactly this
     * chain (a lone row comes here), and two rows' chains keep two FMAs in flight. Narrower vectors keep two
     * alternating accumulators, as F16Kernel does (one 8-lane chain waits on FMA latency).
     */
    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        if (!PAIRED) {
            return twoChains(w, offset, x, xOffset, n);
        }
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            acc = widen(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        return tail(w, offset, x, xOffset, i, n, Vectors.sum(FloatVector.zero(F).add(acc)));
    }

    /**
     * Rows at {@code offset0} and {@code offset1}, each bit for bit {@link #dot}, sharing every load of x
     * (docs/performance.md, "Rows in pairs"); only used when {@link #PAIRED}.
     */
    public static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        if (!PAIRED) {
            out[out0] = dot(w, offset0, x, 0, n);
            out[out1] = dot(w, offset1, x, 0, n);
            return;
        }
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            FloatVector xs = FloatVector.fromArray(F, x, i);
            acc0 = widen(w, offset0 + 2L * i).fma(xs, acc0);
            acc1 = widen(w, offset1 + 2L * i).fma(xs, acc1);
        }
        Vectors.sum2(FloatVector.zero(F).add(acc0), FloatVector.zero(F).add(acc1), out, out0, out1);
        if (i < n) {
            out[out0] = tail(w, offset0, x, 0, i, n, out[out0]);
            out[out1] = tail(w, offset1, x, 0, i, n, out[out1]);
        }
    }

    /** Blocks of 2L elements alternate between two accumulators, so two FMA chains are in flight. */
    private static float twoChains(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - n % (2 * L); i < bound; i += 2 * L) {
            acc0 = widen(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = widen(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        for (int bound = n - n % L; i < bound; i += L) {
            acc0 = widen(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        return tail(w, offset, x, xOffset, i, n, Vectors.sum(acc0.add(acc1)));
    }

    /** {@code sum} plus elements {@code [from, n)}, one at a time, in order. */
    private static float tail(MemorySegment w, long offset, float[] x, int xOffset, int from, int n, float sum) {
        for (int i = from; i < n; i++) {
            sum += Float.intBitsToFloat(w.get(LE_SHORT, offset + 2L * i) << 16) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * Decodes {@code n} values into {@code dst}, bit for bit the scalar decoder (the shift is the whole
     * conversion, NaN payloads included); the last n mod L one at a time, so no load passes the row's end.
     * Vector API calls only in the loop: {@link #widen}, compiled on its own first, could return a boxed vector.
     */
    public static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = Float.intBitsToFloat(w.get(LE_SHORT, offset + 2L * i) << 16);
        }
    }

    private static FloatVector widen(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
