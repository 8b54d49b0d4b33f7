package llm4j.loader;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import llm4j.quant.GgmlType;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;
import llm4j.quant.smq.SmqTensors;

/**
 * A named tensor inside a model file: its element type, its shape in ggml order ({@code shape[0]}
 * is the innermost, contiguous dimension) and a view of its bytes in the mapped file.
 *
 * @param offset the data's byte offset in the file (for dumps and error messages)
 * @param layout how the bytes encode values: ggml blocks of {@code type}, or SMQ's separate codes and scales
 */
public record TensorView(String name, GgmlType type, long[] shape, long offset, MemorySegment data, TensorLayout layout) {

    public TensorView {
        shape = shape.clone();
    }

    /** A view of ggml blocks of {@code type}. */
    public TensorView(String name, GgmlType type, long[] shape, long offset, MemorySegment data) {
        this(name, type, shape, offset, data, TensorLayout.GGML);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The same bytes under another name (tied weights stored once). */
    public TensorView renamed(String newName) {
        return new TensorView(newName, type, shape, offset, data, layout);
    }

    public int dimensions() {
        return shape.length;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Length of the innermost dimension (a row). */
    public long cols() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Number of rows: the product of all outer dimensions. */
    public long rows() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) {
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    /** Bytes of the tensor: its data, plus its scales when they are stored apart. */
    public long byteSize() {
        return data.byteSize() + (layout instanceof TensorLayout.SmqBlocks s ? s.scales().byteSize() : 0);
    }

    /** Whether the bytes are plain ggml blocks, which GGUF can hold as they are. */
    public boolean isGgmlLayout() {
        return layout instanceof TensorLayout.Ggml;
    }

    /**
     * The tensor as a {@code rows × cols} matrix over its bytes in place, with the kernel its layout needs.
     *
     * @throws llm4j.quant.UnsupportedTypeException for a ggml type without kernels
     * @throws IllegalArgumentException when {@code rows × cols} is not the tensor's size
     */
    public WeightTensor matrix(int rows, int cols) {
        if ((long) rows * cols != elementCount()) {
            throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(shape) + " is not " + rows + " x " + cols);
        }
        return switch (layout) {
            case TensorLayout.Ggml g -> WeightTensors.wrap(type, data, rows, cols);
            case TensorLayout.SmqBlocks s -> SmqTensors.wrap(s.scheme(), data, s.scales(), rows, cols, s.blockSize());
        };
    }

    /** The element type as dumps show it: "q8_0", or "smq-q8_0/32" for SMQ's own layout with blocks of 32. */
    public String typeLabel() {
        return switch (layout) {
            case TensorLayout.Ggml g -> type.label();
            case TensorLayout.SmqBlocks s -> "smq-" + s.scheme().label().toLowerCase(java.util.Locale.ROOT) + "/" + s.blockSize();
        };
    }

    @Override
    public String toString() {
        return name + " " + typeLabel() + " " + Arrays.toString(shape);
    }
}
