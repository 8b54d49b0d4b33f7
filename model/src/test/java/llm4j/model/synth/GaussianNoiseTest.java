package llm4j.model.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class GaussianNoiseTest {

    private static final int N = 2_000_000;

    /** Moments and tail masses against the standard normal's known values, within 5 binomial sigmas. */
    @Test
    void samplesAreStandardNormal() {
        GaussianNoise g = new GaussianNoise(GaussianNoise.derive(2024, 0));
        double sum = 0;
        double sq = 0;
        double fourth = 0;
        double[] edges = {0.5, 1, 2, 3, 3.442619855899, 4};
        // P(|X| > t) for the standard normal: erfc(t / sqrt 2)
        double[] expected = {0.617075077, 0.317310508, 0.045500264, 0.002699796, 0.000576, 0.000063342};
        long[] beyond = new long[edges.length];
        long negative = 0;
        for (int i = 0; i < N; i++) {
            double x = g.nextGaussian();
            sum += x;
            sq += x * x;
            fourth += x * x * x * x;
            negative += x < 0 ? 1 : 0;
            for (int e = 0; e < edges.length; e++) {
                if (Math.abs(x) > edges[e]) {
                    beyond[e]++;
                }
            }
        }
        assertEquals(0, sum / N, 5 / Math.sqrt(N), "mean");
        assertEquals(1, sq / N, 5 * Math.sqrt(2.0 / N), "variance");
        assertEquals(3, fourth / N, 5 * Math.sqrt(96.0 / N), "fourth moment");
        assertEquals(0.5, negative / (double) N, 5 * Math.sqrt(0.25 / N), "symmetry");
        for (int e = 0; e < edges.length; e++) {
            double p = expected[e];
            double sigma = Math.sqrt(p * (1 - p) / N);
            assertEquals(p, beyond[e] / (double) N, 5 * sigma + 1e-5, "P(|x| > " + edges[e] + ")");
        }
    }

    @Test
    void sameSeedSameStreamDifferentSeedDifferentStream() {
        float[] a = new float[1000];
        float[] b = new float[1000];
        float[] c = new float[1000];
        new GaussianNoise(GaussianNoise.derive(1, 5)).fill(a, 0, a.length, 0.02f);
        new GaussianNoise(GaussianNoise.derive(1, 5)).fill(b, 0, b.length, 0.02f);
        new GaussianNoise(GaussianNoise.derive(1, 6)).fill(c, 0, c.length, 0.02f);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        for (float x : a) {
            assertTrue(Math.abs(x) < 0.02f * 7, "sample " + x);
        }
    }

    /**
     * Pins the generator: a change to it changes every synthetic model, which should be deliberate.
     * An independent Python transcription of SplitMix64 + the ziggurat gives the same values to 1e-15.
     */
    @Test
    void firstSamplesArePinned() {
        GaussianNoise g = new GaussianNoise(42);
        double[] got = new double[4];
        for (int i = 0; i < got.length; i++) {
            got[i] = g.nextGaussian();
        }
        assertArrayEquals(new double[] {-1.167640669669119, 0.9860806760938344, 0.7190971499218928, 1.5724518506734948}, got, 0);
    }
}
