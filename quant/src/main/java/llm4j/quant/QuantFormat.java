package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * One ggml block layout: how its bytes decode to floats, how floats encode to it, and its dot
 * kernels. Implementations are stateless singletons obtained from {@link QuantFormats#of}.
 */
public interface QuantFormat {

    GgmlType type();

    /**
     * Decodes {@code n} values (a multiple of the block size) starting at byte {@code offset},
     * bit-exact with ggml's {@code dequantize_row_*}.
     */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n);

    /**
     * The same values as {@link #dequantize}, bit for bit, decoded with the Vector API where a format
     * has such a decoder (prefill decodes every weight once per batch: for a 1B model at 128 tokens the
     * scalar Q4_0 decoder took a third of the time).
     */
    default void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        dequantize(src, offset, dst, dstOffset, n);
    }

    /**
     * Encodes {@code n} values (a multiple of the block size) to blocks at byte {@code offset},
     * as ggml's reference quantizer {@code quantize_row_*_ref} does.
     */
    void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset);

    /** The plain-Java dot product: the oracle the vector kernel is tested against. */
    RowKernel scalarKernel();

    /** The Vector API dot product used at run time. */
    RowKernel vectorKernel();

    /**
     * The smallest batch that {@link TiledMatMul} computes faster than the pair kernels running token by token:
     * the tile decodes every weight once per batch, which a few tokens do not pay back. Measured crossovers at one
     * thread (docs/performance.md, "Short prompts", and docs/bench.md, "Session 11", where every type got a vector
     * panel decoder, the panel a register transposition and the tiles a 4-token tail): from 8 (F16, Q4_1, Q5_1) to 20
     * (Q4_0), 24 for F32; 32, this default, stays for types not re-measured since their decoders were scalar (Q2_K,
     * Q3_K, Q5_K).
     */
    default int tiledMinBatch() {
        return 32;
    }

    /** A two-row form of {@link #vectorKernel()} (same result per row, bit for bit), or null if the format has none. */
    default PairKernel vectorPairKernel() {
        return null;
    }

    /**
     * The order in which {@link #vectorKernel()} and {@link #vectorPairKernel()} read their activations, or null
     * when they read x as it is (all formats but Q4_K, and Q5_K below 512 bits). The scalar kernel and the tiled
     * product always read x as it is.
     */
    default ActivationLayout vectorLayout() {
        return null;
    }
}
