package llm4j.model.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The vector exponential paths against their scalar twins ({@link Math#exp}, one value at a time). */
class FloatMathTest {

    /** Scores as attention and sampling see them: any spread, any length, any offset (tails included). */
    @Property(tries = 300)
    void expShiftedMatchesMathExp(@ForAll @IntRange(min = 0, max = 300) int n, @ForAll @IntRange(min = 0, max = 17) int off,
                                  @ForAll @FloatRange(min = 0.01f, max = 40f) float spread, @ForAll long seed) {
        Random random = new Random(seed);
        float[] x = new float[off + n + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * spread);
        }
        float[] reference = x.clone();
        float max = FloatMath.max(x, off, n);
        double expectedSum = 0;
        for (int i = off; i < off + n; i++) {
            reference[i] = (float) Math.exp(reference[i] - max);
            expectedSum += reference[i];
        }
        double sum = FloatMath.expShifted(x, off, n, max);
        for (int i = 0; i < x.length; i++) {
            if (i < off || i >= off + n) {
                assertEquals(reference[i], x[i], "value outside the range at " + i);
            } else {
                assertTrue(ulps(reference[i], x[i]) <= 1, "e^" + (reference[i]) + " at " + i + ": " + x[i] + " vs " + reference[i]);
            }
        }
        // every term is within 1 ulp, and the lanes add in float before the double total
        assertEquals(expectedSum, sum, Math.max(1e-6, expectedSum * 1e-6), "sum of " + n);
    }

    @Property(tries = 200)
    void swigluMatchesTheScalarFormula(@ForAll @IntRange(min = 0, max = 200) int n, @ForAll @IntRange(min = 0, max = 9) int off,
                                        @ForAll long seed) {
        Random random = new Random(seed);
        float[] gate = new float[off + n + 2];
        float[] up = new float[gate.length];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) (random.nextGaussian() * 6);
            up[i] = (float) random.nextGaussian();
        }
        float[] expected = gate.clone();
        for (int i = off; i < off + n; i++) {
            float g = expected[i];
            expected[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
        FloatMath.swiglu(gate, up, off, n);
        for (int i = 0; i < gate.length; i++) {
            // one exponential within 1 ulp, then an add, a divide and a multiply: a few ulps at most
            assertTrue(ulps(expected[i], gate[i]) <= 4 || Math.abs(expected[i] - gate[i]) < 1e-30f,
                    "silu at " + i + ": " + gate[i] + " vs " + expected[i]);
        }
    }

    @Test
    void extremesStayFinite() {
        float[] gate = {-200f, -88f, 0f, 88f, 200f, -1e30f, 1e30f, 3f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
        float[] up = new float[gate.length];
        java.util.Arrays.fill(up, 1f);
        FloatMath.swiglu(gate, up, 0, gate.length);
        assertEquals(-0f, gate[0], 1e-30f);
        assertEquals(200f, gate[4]);
        assertEquals(1e30f, gate[6]);
        float[] scores = {Float.NEGATIVE_INFINITY, 0f, -1000f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f};
        FloatMath.softmax(scores, 0, scores.length);
        assertEquals(0f, scores[0]);
        assertEquals(0f, scores[2]);
        assertEquals((float) (1 / (14 + Math.exp(-5))), scores[3], 1e-7f);
        assertEquals((float) (Math.exp(-5) / (14 + Math.exp(-5))), scores[1], 1e-8f);
    }

    private static int ulps(float a, float b) {
        if (a == b) {
            return 0;
        }
        if (Float.isNaN(a) || Float.isNaN(b) || Math.signum(a) != Math.signum(b)) {
            return Integer.MAX_VALUE;
        }
        return Math.abs(Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }
}
