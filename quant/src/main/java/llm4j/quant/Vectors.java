package llm4j.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
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

    private Vectors() {
    }

    /** The species of {@code elementType} with the same bit width as {@link #F}. */
    public static <E> VectorSpecies<E> sameWidth(Class<E> elementType) {
        return VectorSpecies.of(elementType, VectorShape.forBitSize(F.vectorBitSize()));
    }

    public static int bits() {
        return F.vectorBitSize();
    }
}
