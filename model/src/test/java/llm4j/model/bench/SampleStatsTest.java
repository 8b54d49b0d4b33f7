package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SampleStatsTest {

    @Test
    void meanAndSampleDeviationOfAKnownSeries() {
        // 2,4,4,4,5,5,7,9: mean 5, squared deviations sum to 32, sample variance 32/7
        SampleStats s = SampleStats.of(new double[] {2, 4, 4, 4, 5, 5, 7, 9});
        assertEquals(5.0, s.mean(), 1e-12);
        assertEquals(Math.sqrt(32.0 / 7), s.sd(), 1e-12);
    }

    @Test
    void oneSampleHasNoDeviationAndNoneIsAnError() {
        SampleStats s = SampleStats.of(new double[] {42.5});
        assertEquals(42.5, s.mean());
        assertEquals(0.0, s.sd());
        assertThrows(IllegalArgumentException.class, () -> SampleStats.of(new double[0]));
    }

    @Test
    void tokensPerSecondFromNanoseconds() {
        // 128 tokens in 2 s and in 0.5 s
        assertArrayEquals(new double[] {64, 256}, SampleStats.tokensPerSecond(128, new long[] {2_000_000_000L, 500_000_000L}), 1e-9);
    }

    /** Shifting every sample moves the mean by the shift and leaves the deviation; scaling scales both. */
    @Property(tries = 200)
    void shiftAndScale(@ForAll @Size(min = 2, max = 12) double[] raw,
                       @ForAll @DoubleRange(min = -1e3, max = 1e3) double shift,
                       @ForAll @DoubleRange(min = 0.01, max = 100) double scale) {
        double[] xs = new double[raw.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = Double.isFinite(raw[i]) ? Math.IEEEremainder(raw[i], 1e4) : i;
        }
        SampleStats base = SampleStats.of(xs);
        double[] moved = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            moved[i] = xs[i] * scale + shift;
        }
        SampleStats s = SampleStats.of(moved);
        double tol = 1e-9 * (1 + Math.abs(shift) + scale * 1e4);
        assertEquals(base.mean() * scale + shift, s.mean(), tol);
        assertEquals(base.sd() * scale, s.sd(), tol);
    }
}
