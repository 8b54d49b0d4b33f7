package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix backed by a slice of packed blocks (usually a view of a memory-mapped file).
 * The kernel is picked once, from the format, when the tensor is built.
 */
public final class PackedTensor implements WeightTensor {

    /**
     * One token's activations, per thread, grown once: copied out for {@link #matMul}'s short batches (the pair
     * kernels read x from index 0). Arranged ones come from {@link ArrangedActivations}.
     */
    private static final ThreadLocal<float[]> TOKEN = ThreadLocal.withInitial(() -> new float[0]);

    private final QuantFormat format;
    private final RowKernel kernel;
    /** Rows two at a time in matVec, or null (formats without one, scalar oracle runs). */
    private final PairKernel pairs;
    /** The order the kernels read x in, or null: x as it is. */
    private final ActivationLayout layout;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    /** Batches go through {@link TiledMatMul}; false keeps the per-row loop (scalar oracle runs). */
    private final boolean tiled;

    PackedTensor(QuantFormat format, RowKernel kernel, PairKernel pairs, ActivationLayout layout, MemorySegment data,
                 int rows, int cols, boolean tiled) {
        this.format = format;
        this.pairs = pairs;
        this.layout = layout;
        this.tiled = tiled;
        this.kernel = kernel;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = format.type().bytesFor(cols);
    }

    @Override
    public GgmlType type() {
        return format.type();
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public long byteSize() {
        return rowBytes * rows;
    }

    /** The packed bytes (a view, never a copy). */
    public MemorySegment data() {
        return data;
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        if (layout != null) {
            return kernel.dot(data, row * rowBytes, token(x, xOffset), 0, cols);
        }
        return kernel.dot(data, row * rowBytes, x, xOffset, cols);
    }

    @Override
    public void matVec(float[] x, float[] out, int rowFrom, int rowTo) {
        float[] xs = layout != null ? token(x, 0) : x;
        if (pairs != null) {
            pairedRows(xs, out, 0, rowFrom, rowTo);
        } else {
            singleRows(xs, 0, out, 0, rowFrom, rowTo);
        }
    }

    @Override
    public void matMul(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        if (tiles(n)) {
            TiledMatMul.matMul(this, x, n, out, rowFrom, rowTo);
        } else if (pairs != null) {
            // a short batch (a prompt of a few words) token by token through the pair kernel, which takes x from
            // index 0: each token's activations are copied out first. This also warms the kernels generation uses
            // (through the one-row kernel instead, the pair kernel first ran cold on the output matrix's 49,152 rows,
            // +0.1 s to the first token; docs/bench.md)
            for (int t = 0; t < n; t++) {
                pairedRows(token(x, t * cols), out, t * rows, rowFrom, rowTo);
            }
        } else {
            for (int t = 0; t < n; t++) {
                if (layout != null) {
                    singleRows(token(x, t * cols), 0, out, t * rows, rowFrom, rowTo);
                } else {
                    singleRows(x, t * cols, out, t * rows, rowFrom, rowTo);
                }
            }
        }
    }

    /** {@code x[xOffset .. xOffset + cols)} in the kernels' layout (or copied as it is), in this thread's buffer. */
    private float[] token(float[] x, int xOffset) {
        if (layout != null) {
            return ArrangedActivations.of(layout, x, xOffset, cols);
        }
        float[] token = TOKEN.get();
        if (token.length < cols) {
            token = new float[cols];
            TOKEN.set(token);
        }
        System.arraycopy(x, xOffset, token, 0, cols);
        return token;
    }

    /** {@code -Dllm4j.matmul=tiles} tiles every batch of {@link TiledMatMul#MIN_BATCH} or more (crossover measurements). */
    private static final boolean ALWAYS_TILES = "tiles".equals(System.getProperty("llm4j.matmul"));

    @Override
    public boolean tiles(int n) {
        return tiled && n >= (ALWAYS_TILES ? TiledMatMul.MIN_BATCH : format.tiledMinBatch());
    }

    /**
     * {@code out[outBase + r] = row(r) · x} for {@code r} in {@code [rowFrom, rowTo)}: row i of the range's first
     * half with row i of its second half (two sequential streams, see PairKernel), an odd last row on its own.
     */
    private void pairedRows(float[] x, float[] out, int outBase, int rowFrom, int rowTo) {
        PairKernel p = pairs;
        int half = (rowTo - rowFrom) / 2;
        long o0 = rowFrom * rowBytes;
        long o1 = (rowFrom + half) * rowBytes;
        for (int i = rowFrom, end = rowFrom + half; i < end; i++, o0 += rowBytes, o1 += rowBytes) {
            p.dot2(data, o0, o1, x, cols, out, outBase + i, outBase + i + half);
        }
        singleRows(x, 0, out, outBase, rowFrom + 2 * half, rowTo);
    }

    private void singleRows(float[] x, int xOffset, float[] out, int outBase, int rowFrom, int rowTo) {
        RowKernel k = kernel;
        long offset = rowFrom * rowBytes;
        for (int r = rowFrom; r < rowTo; r++, offset += rowBytes) {
            out[outBase + r] = k.dot(data, offset, x, xOffset, cols);
        }
    }

    /**
     * The scalar decoder (the vector ones agree bit for bit): on the 135M Q8_0 file the vector decoder ran as boxed
     * Java fallbacks for the first thousands of tokens, ~110 kB of garbage per token (JFR).
     */
    @Override
    public void lookupRow(int row, float[] dst, int dstOffset) {
        format.dequantize(data, row * rowBytes, dst, dstOffset, cols);
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        if (tiled) {
            format.vectorDequantize(data, row * rowBytes, dst, dstOffset, cols);
        } else {
            format.dequantize(data, row * rowBytes, dst, dstOffset, cols);
        }
    }
}
