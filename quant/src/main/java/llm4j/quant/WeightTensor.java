package llm4j.quant;

/**
 * A 2-D weight matrix still in its packed on-disk form: {@code rows} output features, each a row of
 * {@code cols} input features (ggml's ne[1] × ne[0]). Products decode blocks inside the kernel; no
 * implementation ever holds an FP32 copy of the weights.
 */
public interface WeightTensor {

    GgmlType type();

    int rows();

    int cols();

    /** Bytes of packed weight data. */
    long byteSize();

    /** Dot product of row {@code row} with {@code x[xOffset .. xOffset + cols)}. */
    float dot(int row, float[] x, int xOffset);

    /** {@code out[r] = row(r) · x} for {@code r} in {@code [rowFrom, rowTo)}. */
    default void matVec(float[] x, float[] out, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            out[r] = dot(r, x, 0);
        }
    }

    /**
     * Batched product for prefill: {@code x} holds {@code n} activation vectors of length
     * {@code cols} back to back, {@code out} receives {@code n} vectors of length {@code rows};
     * only rows {@code [rowFrom, rowTo)} of each output vector are written.
     */
    default void matMul(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        int cols = cols();
        int rows = rows();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = dot(r, x, t * cols);
            }
        }
    }

    /**
     * Whether {@link #matMul} runs a batch of {@code n} tokens through {@link TiledMatMul}; parallel callers then
     * split its rows at multiples of {@link TiledMatMul#PANEL_ROWS}, so that only a matrix's last panel is partial.
     */
    default boolean tiles(int n) {
        return false;
    }

    /** Decodes row {@code row} into {@code dst[dstOffset .. dstOffset + cols)} (prefill panels, dumps, conversions). */
    void dequantizeRow(int row, float[] dst, int dstOffset);

    /**
     * {@link #dequantizeRow}, bit for bit, for a lookup of one row per token (the token embedding): a decoder called
     * that rarely is never compiled by C2, and Vector API code that C2 has not compiled boxes every vector.
     */
    default void lookupRow(int row, float[] dst, int dstOffset) {
        dequantizeRow(row, dst, dstOffset);
    }
}
