package llm4j.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, chosen once. {@code -Dllm4j.vector.bits=128|256|512} forces
 * a width (Zen1 splits 256-bit ops into two 128-bit halves, so both are worth measuring); the
 * default is the platform's preferred width.
 */
public final class Vectors {

    /** Float lanes per vector. */
    public static final VectorSpecies<Float> F;

    static {
        String bits = System.getProperty("llm4j.vector.bits", "");
        F = switch (bits) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            case "" -> FloatVector.SPECIES_PREFERRED;
            default -> throw new IllegalArgumentException("llm4j.vector.bits must be 128, 256 or 512, not " + bits);
        };
    }

    /**
     * Rotations by lanes/2, lanes/4, ..., 1: the fixed tree {@link #sum} folds along. Public for kernels at C2's node
     * budget, which write {@link #sum2}'s folds out themselves (see Q5_0Kernel.dot2).
     */
    public static final VectorShuffle<Float>[] FOLDS = folds(F);

    /**
     * FOLDS[k] as constants (the last fold again where k is past the end; folds past {@code FOLDS.length} are not
     * used). C2 folds a static final field but not an array element: with the shuffle's class unknown a rearrange
     * could fail to intrinsify, its result was then of no exact class, and the adds after it were boxed. A JFR
     * allocation profile showed it in the 135M Q4_0 model (session 10), in about half the processes, at under half
     * the speed.
     */
    public static final VectorShuffle<Float> FOLD_0 = FOLDS[0];
    public static final VectorShuffle<Float> FOLD_1 = FOLDS[Math.min(1, FOLDS.length - 1)];
    public static final VectorShuffle<Float> FOLD_2 = FOLDS[Math.min(2, FOLDS.length - 1)];
    public static final VectorShuffle<Float> FOLD_3 = FOLDS[Math.min(3, FOLDS.length - 1)];

    private Vectors() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds(VectorSpecies<Float> species) {
        int steps = Integer.numberOfTrailingZeros(species.length());
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int k = 0, step = species.length() / 2; k < steps; k++, step /= 2) {
            int by = step;
            folds[k] = VectorShuffle.fromOp(species, i -> (i + by) % species.length());
        }
        return folds;
    }

    /**
     * The sum of the lanes of {@code v}, always added in the same order. {@code reduceLanes(ADD)}
     * may not be used for this: its interpreted and compiled forms add in different orders, so a
     * forward pass would give different logits before and after the JIT warms up. The launcher and
     * the test JVMs force this method inline (-XX:CompileCommand=inline): a kernel whose accumulator
     * escapes into a call boxes the accumulator on every loop iteration.
     */
    public static float sum(FloatVector v) {
        v = v.add(v.rearrange(FOLD_0));
        v = v.add(v.rearrange(FOLD_1));
        if (FOLDS.length > 2) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (FOLDS.length > 3) {
            v = v.add(v.rearrange(FOLD_3));
        }
        return v.lane(0);
    }

    /** Lanes from the upper half: where {@link #sum2} parks its second vector's partial sums. */
    public static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(F, -1L << (F.length() / 2));

    /**
     * {@link #sum} of {@code a} into {@code out[i0]} and of {@code b} into {@code out[i1]}, the same bits, for
     * two-row kernels: after the first fold each vector's partial sums fill half its lanes, so b's move into
     * a's upper half and the remaining folds serve both (half the shuffles, and fewer C2 nodes in a kernel
     * that sits near the node budget). Lane L/2 + j then holds b[j + L/2] + b[j] where sum has b[j] + b[j + L/2]:
     * addition commutes, bit for bit. Forced inline like {@link #sum} (the launcher's {@code Vectors::sum*}).
     */
    public static void sum2(FloatVector a, FloatVector b, float[] out, int i0, int i1) {
        FloatVector v = a.add(a.rearrange(FOLD_0)).blend(b.add(b.rearrange(FOLD_0)), UPPER_HALF);
        v = v.add(v.rearrange(FOLD_1));
        if (FOLDS.length > 2) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (FOLDS.length > 3) {
            v = v.add(v.rearrange(FOLD_3));
        }
        out[i0] = v.lane(0);
        out[i1] = v.lane(F.length() / 2);
    }

    /** The species of {@code elementType} (a primitive class: {@code int.class}, {@code byte.class}) as wide as {@link #F}. */
    public static <E> VectorSpecies<E> sameWidth(Class<E> elementType) {
        return VectorSpecies.of(elementType, VectorShape.forBitSize(F.vectorBitSize()));
    }

    public static int bits() {
        return F.vectorBitSize();
    }
}
