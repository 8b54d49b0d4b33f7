package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix backed by a slice of packed blocks (usually a view of a memory-mapped file).
 * The kernel is picked once, from the format, when the tensor is built.
 */
public final class PackedTensor implements WeightTensor {

    private final QuantFormat format;
    private final RowKernel kernel;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    /** Batches go through {@link TiledMatMul}; false keeps the per-row loop (scalar oracle runs). */
    private final boolean tiled;

    PackedTensor(QuantFormat format, RowKernel kernel, MemorySegment data, int rows, int cols, boolean tiled) {
        this.format = format;
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
        RowKernel k = kernel;
        long offset = rowFrom * rowBytes;
        for (int r = rowFrom; r < rowTo; r++, offset += rowBytes) {
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
