package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * ggml's activation roundings, checked through the properties that define them rather than by
 * re-running the same formula: 8-bit codes q·d with the block's scale, round-to-nearest (ties to
 * even) of x·(127/amax) for Q8_0, the largest-magnitude value mapped to −127 for Q8_K, and the JDK's
 * own half-float conversion for F16.
 */
class ActivationRoundingTest {

    /** Blocks of Gaussian values at a random scale, with zeros and duplicated maxima mixed in. */
    private static float[] randomBlocks(Random rnd, int n) {
        float[] x = new float[n];
        double scale = Math.pow(2, rnd.nextInt(40) - 20);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(10);
            x[i] = kind == 0 ? 0f : (float) (rnd.nextGaussian() * scale);
        }
        if (rnd.nextBoolean()) {
            x[rnd.nextInt(n)] = -x[rnd.nextInt(n)];
        }
        return x;
    }

    @Property(tries = 300)
    void q8_0CodesAreNearestOf127OverAmax(@ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = randomBlocks(rnd, 32 * blocks);
        float[] y = new float[x.length];
        ActivationRounding.Q8_0.apply(x, 0, y, 0, x.length);
        for (int b = 0; b < blocks; b++) {
            float amax = 0f;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[32 * b + j]));
            }
            float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            float id = amax == 0f ? 0f : 127f / amax;
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                if (d == 0f) {
                    // amax/127 below fp16's range: ggml stores d = 0, so the block contributes nothing
                    assertEquals(0f, y[i], 0f, "block with a zero fp16 scale");
                    continue;
                }
                float scaled = x[i] * id;
                float q = y[i] / d;
                assertEquals(Math.round(q), q, 0f, "value " + y[i] + " is not a code times d=" + d);
                assertTrue(Math.abs(q) <= 127f, "code " + q + " out of range");
                double off = Math.abs(scaled - q);
                assertTrue(off <= 0.5, "code " + q + " is not the nearest to " + scaled);
                if (off == 0.5) {
                    assertEquals(0f, Math.abs(q % 2f), "tie " + scaled + " must round to even");
                }
            }
        }
    }

    @Property(tries = 200)
    void q8_KMapsLargestMagnitudeToMinus127(@ForAll @IntRange(min = 1, max = 3) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = randomBlocks(rnd, 256 * blocks);
        float[] y = new float[x.length];
        ActivationRounding.Q8_K.apply(x, 0, y, 0, x.length);
        for (int b = 0; b < blocks; b++) {
            int arg = 256 * b;
            for (int j = 0; j < 256; j++) {
                if (Math.abs(x[256 * b + j]) > Math.abs(x[arg])) {
                    arg = 256 * b + j;
                }
            }
            float max = x[arg];
            if (max == 0f) {
                continue;
            }
            float d = 1f / (-127f / max);
            assertEquals(-127f * d, y[arg], 0f, "largest magnitude element");
            for (int j = 0; j < 256; j++) {
                int i = 256 * b + j;
                float q = y[i] / d;
                assertEquals(Math.round(q), q, 1e-3f, "value " + y[i] + " is not a code times d=" + d);
                assertTrue(q >= -127.5f && q <= 127.5f, "code " + q + " out of range");
                // |x − q·d| ≤ d/2 up to the rounding of the products
                assertTrue(Math.abs(x[i] - y[i]) <= Math.abs(d) * 0.5001, "element " + i + ": " + x[i] + " -> " + y[i]);
            }
        }
    }

    @Property(tries = 100)
    void halfFloatsMatchTheJdkConversion(@ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = randomBlocks(rnd, 64);
        float[] y = new float[64];
        ActivationRounding.F16.apply(x, 0, y, 0, 64);
        float[] z = new float[64];
        ActivationRounding.BF16.apply(x, 0, z, 0, 64);
        for (int i = 0; i < 64; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(x[i])), y[i], 0f);
            assertEquals(0, Float.floatToRawIntBits(z[i]) & 0xFFFF, "bf16 keeps the upper half only");
            assertTrue(Math.abs(z[i] - x[i]) <= Math.ulp(z[i]) * 65536 / 2 + Float.MIN_VALUE, x[i] + " -> " + z[i]);
        }
    }

    @Example
    void weightTypesMapToGgmlsVecDotTypes() {
        assertEquals(ActivationRounding.Q8_0, ActivationRounding.forWeights(GgmlType.Q4_0));
        assertEquals(ActivationRounding.Q8_0, ActivationRounding.forWeights(GgmlType.Q8_0));
        assertEquals(ActivationRounding.Q8_K, ActivationRounding.forWeights(GgmlType.Q6_K));
        String mode = System.getProperty("llm4j.activations", "");
        boolean ggml = "ggml".equals(mode);
        assertEquals(ggml ? ActivationRounding.F16 : ActivationRounding.NONE, ActivationRounding.forWeights(GgmlType.F16));
        assertEquals(ggml ? ActivationRounding.BF16 : ActivationRounding.NONE, ActivationRounding.forWeights(GgmlType.BF16));
        if (mode.isEmpty()) {
            // a GGUF file's F16/BF16 weights see half-float activations, as in ggml
            assertEquals(ActivationRounding.F16, ActivationRounding.forWeights(GgmlType.F16, true));
            assertEquals(ActivationRounding.BF16, ActivationRounding.forWeights(GgmlType.BF16, true));
            assertEquals(ActivationRounding.Q8_0, ActivationRounding.forWeights(GgmlType.Q4_0, true));
            assertEquals(ActivationRounding.NONE, ActivationRounding.forWeights(GgmlType.F32, true));
        }
        assertEquals(ActivationRounding.NONE, ActivationRounding.forWeights(GgmlType.F32));
        assertEquals(ActivationRounding.NONE, ActivationRounding.forWeights(GgmlType.Q4_1));
    }
}
