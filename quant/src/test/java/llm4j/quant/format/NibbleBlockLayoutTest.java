package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * Q4_0's activation order: every activation of a row appears exactly once across the groups (the last group's
 * lanes that repeat blocks of the one before hold zeros), each group ends with its lane sums, and rows shorter than
 * a group are copied as they are. That the order is the one the kernel needs is what Q4_0FormatTest checks, against
 * the scalar oracle.
 */
class NibbleBlockLayoutTest {

    private static final NibbleBlockLayout LAYOUT = NibbleBlockLayout.INSTANCE;
    private static final int GROUP = NibbleBlockLayout.GROUP;
    private static final int W = KVectors.W;

    @Property(tries = 100)
    @Tag("vector-kernel") // the layout depends on the vector width
    void everyActivationOnceThenTheLaneSums(@ForAll @IntRange(min = 1, max = 19) int blocks,
                                            @ForAll @IntRange(min = 0, max = 40) int xOffset,
                                            @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 32;
        float[] arranged = new float[LAYOUT.length(n)];
        if (blocks < GROUP) {
            float[] x = new float[xOffset + n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            assertEquals(n, arranged.length);
            LAYOUT.arrange(x, xOffset, n, arranged);
            assertArrayEquals(Arrays.copyOfRange(x, xOffset, xOffset + n), arranged);
            return;
        }
        int groups = (blocks + GROUP - 1) / GROUP;
        assertEquals(groups * 9 * W, arranged.length);
        // 1-based indices as values (0 marks a repeated lane): each index exactly once, in the 8 position vectors
        float[] index = new float[xOffset + n]; // exactly as long as may be read
        for (int i = 0; i < n; i++) {
            index[xOffset + i] = i + 1;
        }
        LAYOUT.arrange(index, xOffset, n, arranged);
        float[] seen = new float[n];
        int zeros = 0;
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < 8 * W; i++) {
                float v = arranged[g * 9 * W + i];
                if (v == 0) {
                    zeros++;
                } else {
                    assertEquals(0f, seen[(int) v - 1], "activation " + (v - 1) + " twice");
                    seen[(int) v - 1] = 1;
                }
            }
        }
        assertEquals(groups * 8 * W - n, zeros, "repeated lanes");
        for (int g = 0; g < groups; g++) {
            for (int l = 0; l < W; l++) {
                float sum = 0;
                for (int p = 0; p < 8; p++) {
                    sum += arranged[g * 9 * W + p * W + l];
                }
                assertEquals(sum, arranged[g * 9 * W + 8 * W + l], 0f, "group " + g + " lane " + l);
            }
        }
    }
}
