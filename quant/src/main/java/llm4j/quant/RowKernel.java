package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * The dot product of one packed weight row with an F32 activation vector: the inner loop of every
 * matrix-vector product. Each format has a scalar implementation (the test oracle, written as the
 * math) and a Vector API implementation that decodes blocks in registers.
 */
@FunctionalInterface
public interface RowKernel {

    /**
     * @param w       packed weights
     * @param offset  byte offset of the row's first block in {@code w}
     * @param x       activations
     * @param xOffset index of the first activation
     * @param n       number of elements; a multiple of the format's block size
     */
    float dot(MemorySegment w, long offset, float[] x, int xOffset, int n);
}
