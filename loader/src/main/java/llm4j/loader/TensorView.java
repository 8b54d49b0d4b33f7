package llm4j.loader;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import llm4j.quant.GgmlType;

/**
 * A named tensor inside a model file: its element type, its shape in ggml order ({@code shape[0]}
 * is the innermost, contiguous dimension) and a view of its bytes in the mapped file.
 *
 * @param offset the data's byte offset in the file (for dumps and error messages)
 */
public record TensorView(String name, GgmlType type, long[] shape, long offset, MemorySegment data) {

    public TensorView {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
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

    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
