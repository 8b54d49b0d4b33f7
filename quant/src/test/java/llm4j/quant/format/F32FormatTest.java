package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class F32FormatTest {

    @Property(tries = 200)
    void vectorDotMatchesScalar(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[n];
        float[] x = new float[n + 3];
        for (int i = 0; i < n; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * n + 4);
            F32Format.INSTANCE.quantize(w, 0, n, seg, 4);
            float scalar = F32Format.dotScalar(seg, 4, x, 3, n);
            float vector = F32Format.dotVector(seg, 4, x, 3, n);
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                magnitude += Math.abs(w[i] * x[i + 3]);
            }
            assertEquals(scalar, vector, 1e-5 * magnitude + 1e-6);
        }
    }

    @Property(tries = 50)
    void roundTripIsExact(@ForAll @IntRange(min = 1, max = 100) int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * n);
            F32Format.INSTANCE.quantize(w, 0, n, seg, 0);
            float[] back = new float[n];
            F32Format.INSTANCE.dequantize(seg, 0, back, 0, n);
            assertArrayEquals(w, back);
        }
    }
}
