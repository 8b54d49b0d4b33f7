package llm4j.quant.smq;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.TiledMatMul;
import llm4j.quant.WeightTensor;

/**
 * A matrix in one of SMQ's block layouts: codes in one blob (flat, row after row) and one float32 scale per
 * {@code blockSize} consecutive elements of the flat order in another. Blocks run over the flat index, so with
 * {@code cols % blockSize != 0} a block spans two rows; the kernels therefore walk a row block segment by segment.
 */
public abstract sealed class SmqBlockTensor implements WeightTensor permits SmqQ8_0Tensor, SmqQ4_0Tensor {

    /** Σ code·scale·x over the flat elements {@code [first, first + n)}: one row's dot product. */
    @FunctionalInterface
    interface Kernel {
        float dot(MemorySegment codes, MemorySegment scales, long blockSize, long first, int n, float[] x, int xOffset);
    }

    final MemorySegment codes;
    final MemorySegment scales;
    final int rows;
    final int cols;
    final int blockSize;
    private final Kernel kernel;
    /** Batches go through {@link TiledMatMul}; false keeps the per-row loop (scalar oracle runs). */
    private final boolean tiled;

    SmqBlockTensor(SmqScheme scheme, MemorySegment codes, MemorySegment scales, int rows, int cols, int blockSize,
                   Kernel kernel, boolean tiled) {
        if (rows <= 0 || cols <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("impossible SMQ " + scheme + " tensor " + rows + " x " + cols + ", block " + blockSize);
        }
        long elements = (long) rows * cols;
        if (codes.byteSize() != scheme.dataBytes(elements) || scales.byteSize() != scheme.scaleBytes(elements, blockSize)) {
            throw new IllegalArgumentException("SMQ " + scheme + " " + rows + " x " + cols + " with blocks of " + blockSize
                    + " needs " + scheme.dataBytes(elements) + " + " + scheme.scaleBytes(elements, blockSize)
                    + " bytes, slices have " + codes.byteSize() + " + " + scales.byteSize());
        }
        this.codes = codes;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
        this.blockSize = blockSize;
        this.kernel = kernel;
        this.tiled = tiled;
    }

    /** The SMQ scheme of this tensor. */
    public abstract SmqScheme scheme();

    /** The signed code of flat element {@code index}. */
    abstract int code(long index);

    @Override
    public GgmlType type() {
        return scheme().family();
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    public int blockSize() {
        return blockSize;
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize();
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        return kernel.dot(codes, scales, blockSize, (long) row * cols, cols, x, xOffset);
    }

    /** Its per-row path has no pair kernel, so the tile pays from the smallest batch it handles. */
    @Override
    public boolean tiles(int n) {
        return tiled && n >= TiledMatMul.MIN_BATCH;
    }

    @Override
    public void matMul(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        if (tiles(n)) {
            TiledMatMul.matMul(this, x, n, out, rowFrom, rowTo);
        } else {
            WeightTensor.super.matMul(x, n, out, rowFrom, rowTo);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long first = (long) row * cols;
        for (int j = 0; j < cols; j++) {
            long i = first + j;
            dst[dstOffset + j] = code(i) * scale(scales, i / blockSize);
        }
    }

    static float scale(MemorySegment scales, long block) {
        return scales.get(SmqSpecies.LE_FLOAT, 4 * block);
    }
}
