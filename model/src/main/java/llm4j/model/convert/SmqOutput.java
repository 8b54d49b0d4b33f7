package llm4j.model.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.TensorLayout;
import llm4j.loader.TensorView;
import llm4j.loader.smq.SmqWriter;
import llm4j.quant.WeightTensor;
import llm4j.quant.smq.SmqQuantizer;
import llm4j.quant.smq.SmqRepack;
import llm4j.quant.smq.SmqScheme;

/**
 * The SMQ side of a conversion. Without a requested scheme values stay exact: F32 as is, ggml Q8_0/Q4_0 repacked
 * without loss, SMQ blocks copied, anything else decoded to F32. With one, matrices are quantized by SmallMind's
 * rules in blocks over the flat order. 1-D tensors are always F32: SMQ's block schemes are rank 2.
 */
final class SmqOutput {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SmqOutput() {
    }

    static void write(Map<String, MetadataValue> metadata, List<ConvertedTensor> tensors, SmqScheme want, int block,
                      Path out, ModelConverter.Progress progress) throws IOException {
        SmqWriter w = new SmqWriter();
        w.putAll(metadata);
        for (ConvertedTensor o : tensors) {
            SmqScheme scheme = scheme(o.source(), want);
            int tensorBlock = scheme == SmqScheme.F32 ? 0 : repackable(o, scheme) ? SmqRepack.BLOCK : block;
            w.addTensor(o.name(), scheme, o.source().shape(), tensorBlock, (data, scales) -> encode(o, scheme, tensorBlock, data, scales));
        }
        w.write(out, progress::update);
    }

    static SmqScheme parseScheme(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32" -> SmqScheme.F32;
            case "q8_0" -> SmqScheme.Q8_0;
            case "q4_0" -> SmqScheme.Q4_0;
            default -> throw new IllegalArgumentException("SMQ holds f32, q8_0 and q4_0, not '" + name + "'");
        };
    }

    private static SmqScheme scheme(TensorView t, SmqScheme want) {
        if (t.dimensions() != 2) {
            return SmqScheme.F32;
        }
        if (want != null) {
            return want;
        }
        if (t.layout() instanceof TensorLayout.SmqBlocks s) {
            return s.scheme();
        }
        SmqScheme lossFree = SmqRepack.lossFreeScheme(t.type());
        return lossFree == null ? SmqScheme.F32 : lossFree;
    }

    private static boolean repackable(ConvertedTensor o, SmqScheme scheme) {
        TensorView t = o.source();
        return o.permuteHeads() == 0 && t.isGgmlLayout() && SmqRepack.lossFreeScheme(t.type()) == scheme;
    }

    private static void encode(ConvertedTensor o, SmqScheme scheme, int block, MemorySegment data, MemorySegment scales) {
        TensorView t = o.source();
        if (scheme != SmqScheme.F32 && repackable(o, scheme)) {
            SmqRepack.repack(t.type(), t.data(), t.elementCount(), data, scales);
            return;
        }
        if (scheme != SmqScheme.F32 && t.layout() instanceof TensorLayout.SmqBlocks s && s.scheme() == scheme
                && s.blockSize() == block && o.permuteHeads() == 0) {
            MemorySegment.copy(t.data(), 0, data, 0, data.byteSize());
            MemorySegment.copy(s.scales(), 0, scales, 0, scales.byteSize());
            return;
        }
        int[] shape = o.matrixShape();
        int rows = shape[0];
        int cols = shape[1];
        WeightTensor w = o.matrix();
        if (scheme == SmqScheme.F32) {
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(o.sourceRow(r, rows), row, 0);
                MemorySegment.copy(row, 0, data, LE_FLOAT, 4L * r * cols, cols);
            }
            return;
        }
        // blocks run over the flat order: feed whole rows in chunks that start on a block boundary
        int rowsPerChunk = (int) (lcm(cols, block) / cols);
        float[] chunk = new float[rowsPerChunk * cols];
        for (int r = 0; r < rows; r += rowsPerChunk) {
            int n = Math.min(rowsPerChunk, rows - r);
            for (int i = 0; i < n; i++) {
                w.dequantizeRow(o.sourceRow(r + i, rows), chunk, i * cols);
            }
            SmqQuantizer.quantize(scheme, chunk, 0, n * cols, (long) r * cols, block, data, scales);
        }
    }

    private static long lcm(long a, long b) {
        long x = a;
        long y = b;
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
