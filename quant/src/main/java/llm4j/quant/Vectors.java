package llm4j.quant;

import jdk.incubator.vector.FloatVector;
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

    /** Rotations by lanes/2, lanes/4, ..., 1: the fixed tree {@link #sum} folds along. */
    private static final VectorShuffle<Float>[] FOLDS = folds(F);

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
     * forward pass would give different logits before and after the JIT warms up.
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    /** The species of {@code elementType} with the same bit width as {@link #F}. */
    public static <E> VectorSpecies<E> sameWidth(Class<E> elementType) {
        return VectorSpecies.of(elementType, VectorShape.forBitSize(F.vectorBitSize()));
    }

    public static int bits() {
        return F.vectorBitSize();
    }
}
