package llm4j.model.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.TensorView;
import llm4j.loader.gguf.GgufWriter;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.quant.WeightTensor;

/**
 * The GGUF side of a conversion: ggml blocks are copied byte for byte when nothing changes; otherwise rows are
 * decoded (and permuted) and encoded with ggml's reference quantizer, one tensor in memory at a time.
 */
final class GgufOutput {

    private GgufOutput() {
    }

    /** @param want the matrices' type, or null to keep each tensor's (F32 for layouts GGUF cannot hold) */
    static void write(Map<String, MetadataValue> metadata, List<ConvertedTensor> tensors, GgmlType want, Path out,
                      ModelConverter.Progress progress) throws IOException {
        GgufWriter w = new GgufWriter();
        metadata.forEach(w::put);
        for (ConvertedTensor o : tensors) {
            TensorView t = o.source();
            GgmlType type = type(t, want);
            if (type == t.type() && t.isGgmlLayout() && o.permuteHeads() == 0) {
                w.addTensor(o.name(), type, t.shape(), sink -> sink.write(t.data()));
            } else {
                w.addTensor(o.name(), type, t.shape(), sink -> {
                    try (Arena arena = Arena.ofConfined()) {
                        sink.write(encode(o, type, arena));
                    }
                });
            }
        }
        w.write(out, progress::update);
    }

    static GgmlType parseType(String name) {
        GgmlType t = GgmlType.byName(name);
        if (t == null || !QuantFormats.has(t)) {
            throw new IllegalArgumentException("unknown or unsupported GGUF type '" + name + "'");
        }
        return t;
    }

    /** As stored (F32 when GGUF cannot hold the layout), or the requested type where the rows allow it. */
    private static GgmlType type(TensorView t, GgmlType want) {
        GgmlType keep = t.isGgmlLayout() ? t.type() : GgmlType.F32;
        if (want == null || t.dimensions() < 2) {
            return keep;
        }
        return t.cols() % want.blockSize() == 0 ? want : keep;
    }

    private static MemorySegment encode(ConvertedTensor o, GgmlType type, Arena arena) {
        int[] shape = o.matrixShape();
        int rows = shape[0];
        int cols = shape[1];
        WeightTensor w = o.matrix();
        QuantFormat format = QuantFormats.of(type);
        long rowBytes = type.bytesFor(cols);
        MemorySegment packed = arena.allocate(rowBytes * rows);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(o.sourceRow(r, rows), row, 0);
            format.quantize(row, 0, cols, packed, r * rowBytes);
        }
        return packed;
    }
}
