package llm4j.quant;

import java.lang.foreign.MemorySegment;

/** Builds {@link WeightTensor}s over packed data. */
public final class WeightTensors {

    /** {@code -Dllm4j.kernels=scalar} runs the scalar oracles instead of the Vector API kernels. */
    private static final boolean SCALAR = "scalar".equals(System.getProperty("llm4j.kernels"));
    /** {@code -Dllm4j.matmul=rows} keeps prefill on the per-row kernels (A/B measurements of {@link TiledMatMul}). */
    private static final boolean TILED = !SCALAR && !"rows".equals(System.getProperty("llm4j.matmul"));

    private WeightTensors() {
    }

    /** Whether tensors built by {@link #wrap(GgmlType, MemorySegment, int, int)} run batches through {@link TiledMatMul}. */
    public static boolean tiledBatches() {
        return TILED;
    }

    /** A {@code rows × cols} matrix of {@code type} over {@code data}, which must hold exactly its bytes. */
    public static WeightTensor wrap(GgmlType type, MemorySegment data, int rows, int cols) {
        QuantFormat format = QuantFormats.of(type);
        if (SCALAR) {
            return wrap(format, format.scalarKernel(), null, null, false, data, rows, cols);
        }
        return wrap(format, format.vectorKernel(), format.vectorPairKernel(), format.vectorLayout(), TILED, data, rows, cols);
    }

    /** As {@link #wrap(GgmlType, MemorySegment, int, int)} with the scalar oracle kernel. */
    public static WeightTensor wrapScalar(GgmlType type, MemorySegment data, int rows, int cols) {
        QuantFormat format = QuantFormats.of(type);
        return wrap(format, format.scalarKernel(), null, null, false, data, rows, cols);
    }

    private static WeightTensor wrap(QuantFormat format, RowKernel kernel, PairKernel pairs, ActivationLayout layout,
                                     boolean tiled, MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("impossible shape " + rows + " x " + cols);
        }
        long expected = Math.multiplyExact(format.type().bytesFor(cols), (long) rows);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(format.type() + " " + rows + " x " + cols + " needs " + expected
                    + " bytes, slice has " + data.byteSize());
        }
        return new PackedTensor(format, kernel, pairs, layout, data, rows, cols, tiled);
    }
}
