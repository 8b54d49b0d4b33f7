package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * The mantissa kernels' activation orders: each super-block's 256 activations come back as a permutation of
 * themselves, followed by its sub-block sums, and nothing is read outside {@code x[xOffset .. xOffset + n)}. That
 * each permutation is the one its kernel needs is what KQuantProperties checks, against the scalar oracle.
 */
class SuperBlockLayoutTest {

    /** Q4_K's and Q5_K's: 8 sums of 32 values, each twice. */
    @Property(tries = 100)
    @Tag("vector-kernel") // the orders depend on the vector width
    void nibbleWords(@ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll @IntRange(min = 0, max = 40) int xOffset,
                     @ForAll long seed) {
        check(NibbleWordLayout.INSTANCE, 32, 2, blocks, xOffset, seed);
    }

    /** Q6_K's (256 and 512 bits: at 128 Q6_K keeps its byte-lane kernel, which reads x as it is): 16 sums of 16. */
    @Property(tries = 100)
    @Tag("vector-kernel")
    void sixBitWords(@ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll @IntRange(min = 0, max = 40) int xOffset,
                     @ForAll long seed) {
        if (KVectors.W >= 8) {
            check(SixBitWordLayout.INSTANCE, 16, 1, blocks, xOffset, seed);
        }
    }

    private static void check(SuperBlockLayout layout, int subBlock, int copies, int blocks, int xOffset, long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 256;
        float[] x = new float[xOffset + n]; // exactly as long as may be read
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        // indices instead of values first: every position of a super-block exactly once
        float[] index = new float[xOffset + n];
        for (int i = 0; i < n; i++) {
            index[xOffset + i] = i;
        }
        float[] arranged = new float[layout.length(n)];
        assertEquals(n + blocks * 16, arranged.length);
        layout.arrange(index, xOffset, n, arranged);
        for (int b = 0; b < blocks; b++) {
            float[] block = Arrays.copyOfRange(arranged, 256 * b, 256 * b + 256);
            Arrays.sort(block);
            for (int i = 0; i < 256; i++) {
                assertEquals(256 * b + i, block[i], 0f, "super-block " + b);
            }
        }
        layout.arrange(x, xOffset, n, arranged);
        int sums = 256 / subBlock;
        for (int b = 0; b < blocks; b++) {
            for (int s = 0; s < sums; s++) {
                double sum = 0;
                double magnitude = 0;
                for (int i = 0; i < subBlock; i++) {
                    sum += x[xOffset + 256 * b + subBlock * s + i];
                    magnitude += Math.abs(x[xOffset + 256 * b + subBlock * s + i]);
                }
                for (int c = 0; c < copies; c++) {
                    assertEquals(sum, arranged[n + 16 * b + sums * c + s], 1e-6 * magnitude, "Σx of sub-block " + s + ", copy " + c);
                }
            }
        }
    }
}
