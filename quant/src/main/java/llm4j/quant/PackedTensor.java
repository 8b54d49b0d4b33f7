package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix backed by a slice of packed blocks (usually a view of a memory-mapped file).
 * The kernel is picked once, from the format, when the tensor is built.
 */
public final class PackedTensor implements WeightTensor {

    private final QuantFormat format;
    private final RowKernel kernel;
    /** Rows two at a time in matVec, or null (formats without one, scalar oracle runs). */
    private final PairKernel pairs;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    /** Batches go through {@link TiledMatMul}; false keeps the per-row loop (scalar oracle runs). */
    private final boolean tiled;

    PackedTensor(QuantFormat format, RowKernel kernel, PairKernel pairs, MemorySegment data, int rows, int cols,
                 boolean tiled) {
        this.format = format;
        this.pairs = pairs;
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
        return kernel.dot(data, row * rowBytes, x, xOffset, cols);
    }

    @Override
    public void matVec(float[] x, float[] out, int rowFrom, int rowTo) {
        int r = rowFrom;
        PairKernel p = pairs;
        int half = (rowTo - rowFrom) / 2;
        if (p != null && half > 0) {
            // the first half's rows paired with the second half's: two sequential streams (see PairKernel)
            long o0 = rowFrom * rowBytes;
            long o1 = (rowFrom + half) * rowBytes;
            for (int i = rowFrom, end = rowFrom + half; i < end; i++, o0 += rowBytes, o1 += rowBytes) {
                p.dot2(data, o0, o1, x, cols, out, i, i + half);
            }
            r = rowFrom + 2 * half;
        }
        RowKernel k = kernel;
        for (long offset = r * rowBytes; r < rowTo; r++, offset += rowBytes) {
            out[r] = k.dot(data, offset, x, 0, cols);
        }
    }

    @Override
    public void matMul(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        if (tiled && n >= TiledMatMul.MIN_BATCH) {
            TiledMatMul.matMul(this, x, n, out, rowFrom, rowTo);
        } else {
            WeightTensor.super.matMul(x, n, out, rowFrom, rowTo);
        }
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
