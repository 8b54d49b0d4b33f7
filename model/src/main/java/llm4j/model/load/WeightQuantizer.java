package llm4j.model.load;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/**
 * Re-encodes weight matrices at load time ({@code --quantize-on-load q8_0}): each row is decoded and quantized
 * with ggml's reference quantizer into an off-heap arena the model owns. This is the one place weights are copied;
 * a matrix already of the target type, or whose rows the target's blocks cannot tile, stays as it is.
 */
public final class WeightQuantizer {

    private final GgmlType target;
    private final Arena arena;

    /** @param arena owns the quantized copies; closing it frees them (the model closes it) */
    public WeightQuantizer(GgmlType target, Arena arena) {
        this.target = target;
        this.arena = arena;
        QuantFormats.of(target); // fails early for a type without a quantizer
    }

    public GgmlType target() {
        return target;
    }

    WeightTensor apply(WeightTensor w) {
        if (w.type() == target || w.cols() % target.blockSize() != 0) {
            return w;
        }
        QuantFormat format = QuantFormats.of(target);
        long rowBytes = target.bytesFor(w.cols());
        MemorySegment packed = arena.allocate(rowBytes * w.rows(), 64);
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.dequantizeRow(r, row, 0);
            format.quantize(row, 0, w.cols(), packed, r * rowBytes);
        }
        return WeightTensors.wrap(target, packed, w.rows(), w.cols());
    }
}
