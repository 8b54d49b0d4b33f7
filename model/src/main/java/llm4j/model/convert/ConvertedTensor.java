package llm4j.model.convert;

import llm4j.loader.TensorView;
import llm4j.quant.WeightTensor;

/**
 * One tensor of a conversion's output: its output name, its source view, and the head count whose Q/K rows it
 * permutes (0: rows kept in order).
 */
record ConvertedTensor(String name, TensorView source, int permuteHeads) {

    /** Rows × cols to decode the source as: a permuted 1-D bias is a column, so its elements move like rows. */
    int[] matrixShape() {
        if (permuteHeads > 0 && source.dimensions() == 1) {
            return new int[] {Math.toIntExact(source.elementCount()), 1};
        }
        return new int[] {Math.toIntExact(source.rows()), Math.toIntExact(source.cols())};
    }

    /** The source as a matrix of {@link #matrixShape()}, whatever its layout. */
    WeightTensor matrix() {
        int[] shape = matrixShape();
        return source.matrix(shape[0], shape[1]);
    }

    /**
     * The source row of output row {@code r}: llama.cpp's permute for Q/K, which within each head interleaves the
     * first and second half of the rows (output row 2i+s is input row s·d/2 + i).
     */
    int sourceRow(int r, int rows) {
        if (permuteHeads == 0) {
            return r;
        }
        int perHead = rows / permuteHeads;
        int head = r / perHead;
        int within = r % perHead;
        return head * perHead + (within % 2) * (perHead / 2) + within / 2;
    }
}
