package llm4j.model.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class KeyOutliersTest {

    /** Every head gets exactly `pairs` loud rotary pairs, both rows of each, and nothing else changes. */
    @Property(tries = 200)
    void eachHeadGetsExactlyItsPairs(@ForAll @IntRange(min = 1, max = 4) int kvHeads, @ForAll @IntRange(min = 1, max = 6) int log2Pairs,
                                     @ForAll @IntRange(min = 1, max = 64) int pairs, @ForAll long seed) {
        int headDim = 2 << log2Pairs;
        if (pairs > headDim / 2) {
            assertThrows(IllegalArgumentException.class, () -> new KeyOutliers(pairs, 16f).rowGains(kvHeads, headDim, seed));
            return;
        }
        float[] g = new KeyOutliers(pairs, 16f).rowGains(kvHeads, headDim, seed);
        assertEquals(kvHeads * headDim, g.length);
        for (int h = 0; h < kvHeads; h++) {
            int loud = 0;
            for (int i = h * headDim; i < (h + 1) * headDim; i += 2) {
                assertEquals(g[i], g[i + 1], "both channels of a rotary pair");
                if (g[i] == 16f) {
                    loud++;
                } else {
                    assertEquals(1f, g[i]);
                }
            }
            assertEquals(pairs, loud, "head " + h);
        }
        assertArrayEquals(g, new KeyOutliers(pairs, 16f).rowGains(kvHeads, headDim, seed), "a seed gives one choice");
    }

    @Test
    void theSeedChoosesThePairsAndNoneIsNull() {
        assertNull(KeyOutliers.NONE.rowGains(2, 64, 1));
        float[] a = new KeyOutliers(2, 8f).rowGains(2, 64, 1);
        float[] b = new KeyOutliers(2, 8f).rowGains(2, 64, 2);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        // heads draw independently: the two heads of one seed do not repeat each other
        float[] c = new KeyOutliers(3, 8f).rowGains(2, 64, 5);
        assertNotEquals(java.util.Arrays.toString(java.util.Arrays.copyOf(c, 64)),
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(c, 64, 128)));
    }

    @Test
    void parsesPairsAndGain() {
        assertEquals(new KeyOutliers(2, KeyOutliers.DEFAULT_GAIN), KeyOutliers.parse("2"));
        assertEquals(new KeyOutliers(3, 32f), KeyOutliers.parse("3:32"));
        assertEquals(new KeyOutliers(1, 2.5f), KeyOutliers.parse(" 1:2.5 "));
        assertEquals("3:32", KeyOutliers.parse("3:32").label());
        assertEquals("1:2.5", KeyOutliers.parse("1:2.5").label());
        assertEquals(KeyOutliers.parse("1:2.5"), KeyOutliers.parse(KeyOutliers.parse("1:2.5").label()));
        for (String bad : new String[] {"", "0", "-1", "x", "2:", "2:0", "2:-4", "2:NaN", "2:Infinity", "1:2:3"}) {
            assertThrows(IllegalArgumentException.class, () -> KeyOutliers.parse(bad), bad);
        }
    }
}
