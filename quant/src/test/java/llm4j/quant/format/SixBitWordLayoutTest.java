package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * Q6_K's activation order: each super-block's 256 activations come back as a permutation of themselves, followed
 * by the 16 sub-block sums, and nothing is read outside {@code x[xOffset .. xOffset + n)}. That the permutation is
 * the one the kernel needs is what KQuantProperties checks, against the scalar oracle.
 */
class SixBitWordLayoutTest {

    private static final SixBitWordLayout LAYOUT = SixBitWordLayout.INSTANCE;

    @Property(tries = 100)
    @Tag("vector-kernel") // the order depends on the vector width
    void superBlocksArePermutedAndFollowedByTheirSubBlockSums(@ForAll @IntRange(min = 1, max = 6) int blocks,
                                                             @ForAll @IntRange(min = 0, max = 40) int xOffset,
                                                             @ForAll long seed) {
        if (KVectors.W < 8) {
            return; // at 128 bits Q6_K keeps its byte-lane kernel, which reads x as it is
        }
        Random rnd = new Random(seed);
        int n = blocks * 256;
        float[] x = new float[xOffset + n]; // exactly as long as may be read
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] index = new float[xOffset + n];
        for (int i = 0; i < n; i++) {
            index[xOffset + i] = i;
        }
        float[] arranged = new float[LAYOUT.length(n)];
        assertEquals(n + blocks * 16, arranged.length);
        LAYOUT.arrange(index, xOffset, n, arranged);
        for (int b = 0; b < blocks; b++) {
            float[] block = Arrays.copyOfRange(arranged, 256 * b, 256 * b + 256);
            Arrays.sort(block);
            for (int i = 0; i < 256; i++) {
                assertEquals(256 * b + i, block[i], 0f, "super-block " + b);
            }
        }
        LAYOUT.arrange(x, xOffset, n, arranged);
        for (int b = 0; b < blocks; b++) {
            for (int s = 0; s < 16; s++) {
                double sum = 0;
                double magnitude = 0;
                for (int i = 0; i < 16; i++) {
                    sum += x[xOffset + 256 * b + 16 * s + i];
                    magnitude += Math.abs(x[xOffset + 256 * b + 16 * s + i]);
                }
                assertEquals(sum, arranged[n + 16 * b + s], 1e-6 * magnitude, "Σx of sub-block " + s);
            }
        }
    }
}
