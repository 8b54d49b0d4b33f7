package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The per-thread cache of arranged activations never hands back a stale arrangement: through a random sequence of
 * products (x changed in one element, moved in its array, a different layout or row length, or nothing changed),
 * every result is what arranging that x afresh gives.
 */
class ArrangedActivationsTest {

    private static final List<GgmlType> ARRANGED = Arrays.stream(GgmlType.values())
            .filter(QuantFormats::has)
            .filter(t -> QuantFormats.of(t).vectorLayout() != null)
            .toList();

    @Property(tries = 100)
    void everyResultIsAFreshArrangement(@ForAll @IntRange(min = 1, max = 40) int steps, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[3 * 512 + 7];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        GgmlType type = ARRANGED.get(rnd.nextInt(ARRANGED.size()));
        int cols = 256 * (1 + rnd.nextInt(2));
        int offset = 0;
        for (int step = 0; step < steps; step++) {
            switch (rnd.nextInt(5)) {
                case 0 -> { // the smallest change still counts
                    int i = offset + rnd.nextInt(cols);
                    x[i] = Math.nextUp(x[i]);
                }
                case 1 -> offset = rnd.nextInt(x.length - 512);
                case 2 -> type = ARRANGED.get(rnd.nextInt(ARRANGED.size()));
                case 3 -> cols = 256 * (1 + rnd.nextInt(2));
                default -> { } // the same x again: a hit
            }
            ActivationLayout layout = QuantFormats.of(type).vectorLayout();
            float[] fresh = new float[layout.length(cols)];
            layout.arrange(x, offset, cols, fresh);
            float[] cached = ArrangedActivations.of(layout, x, offset, cols);
            assertArrayEquals(fresh, Arrays.copyOf(cached, fresh.length), type + " step " + step);
        }
    }
}
