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

    /** Both of sum2's results are sum's, bit for bit, at the configured width. */
    @Property(tries = 300)
    void sum2IsTwoSums(@ForAll long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        float[] a = new float[Vectors.F.length()];
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(30)));
            b[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(30)));
        }
        FloatVector va = FloatVector.fromArray(Vectors.F, a, 0);
        FloatVector vb = FloatVector.fromArray(Vectors.F, b, 0);
        float[] out = new float[5];
        Vectors.sum2(va, vb, out, 3, 1);
        assertEquals(Float.floatToIntBits(Vectors.sum(va)), Float.floatToIntBits(out[3]));
        assertEquals(Float.floatToIntBits(Vectors.sum(vb)), Float.floatToIntBits(out[1]));
    }
}
