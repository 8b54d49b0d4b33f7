package llm4j.quant.smq;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/** Builds {@link WeightTensor}s over SMQ tensor blobs, kept in place (usually views of a mapped file). */
public final class SmqTensors {

    /** {@code -Dllm4j.kernels=scalar} runs the scalar oracles, as for the ggml formats. */
    private static final boolean SCALAR = "scalar".equals(System.getProperty("llm4j.kernels"));

    private SmqTensors() {
    }

    /**
     * A {@code rows × cols} matrix of {@code scheme}: {@code data} holds exactly its codes (or floats for F32) and
     * {@code scales} its block scales (empty for F32).
     */
    public static WeightTensor wrap(SmqScheme scheme, MemorySegment data, MemorySegment scales, int rows, int cols,
                                    int blockSize) {
        return wrap(scheme, data, scales, rows, cols, blockSize, SCALAR);
    }

    /** As {@link #wrap} with the scalar oracle kernels. */
    public static WeightTensor wrapScalar(SmqScheme scheme, MemorySegment data, MemorySegment scales, int rows, int cols,
                                          int blockSize) {
        return wrap(scheme, data, scales, rows, cols, blockSize, true);
    }

    private static WeightTensor wrap(SmqScheme scheme, MemorySegment data, MemorySegment scales, int rows, int cols,
                                     int blockSize, boolean scalar) {
        return switch (scheme) {
            // SMQ F32 is plain little-endian float32, exactly ggml's F32
            case F32 -> scalar ? WeightTensors.wrapScalar(GgmlType.F32, data, rows, cols) : WeightTensors.wrap(GgmlType.F32, data, rows, cols);
            case Q8_0 -> new SmqQ8_0Tensor(data, scales, rows, cols, blockSize, scalar);
            case Q4_0 -> new SmqQ4_0Tensor(data, scales, rows, cols, blockSize, scalar);
            default -> throw new IllegalArgumentException("SMQ scheme " + scheme + " (id " + scheme.id()
                    + ") is reserved: SMQ v1 defines no layout for it");
        };
    }
}
