package llm4j.quant.kernel;

import llm4j.quant.Vectors;
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

/** BF16 · F32 dot product: a bfloat16 widened to int lanes and shifted up 16 bits is its float. */
public final class BF16Kernel {

    private BF16Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
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
        float sum = Vectors.sum(acc0.add(acc1));
        for (; i < n; i++) {
            sum += Float.intBitsToFloat(w.get(LE_SHORT, offset + 2L * i) << 16) * x[xOffset + i];
        }
        return sum;
    }

    private static FloatVector widen(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
