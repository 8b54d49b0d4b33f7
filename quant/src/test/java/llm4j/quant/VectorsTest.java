package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class VectorsTest {

    /** The lanes are folded in halves: lane i adds lane i + n/2, then i + n/4, ... exactly as written here. */
    @Property(tries = 300)
    void sumFollowsTheFixedTree(@ForAll long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        float[] lanes = new float[Vectors.F.length()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(30)));
        }
        float[] tree = lanes.clone();
        for (int step = tree.length / 2; step >= 1; step /= 2) {
            float[] next = new float[tree.length];
            for (int i = 0; i < tree.length; i++) {
                next[i] = tree[i] + tree[(i + step) % tree.length];
            }
            tree = next;
        }
        assertEquals(Float.floatToIntBits(tree[0]), Float.floatToIntBits(Vectors.sum(FloatVector.fromArray(Vectors.F, lanes, 0))));
    }
}
