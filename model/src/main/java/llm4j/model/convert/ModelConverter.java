package llm4j.model.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorLayout;
import llm4j.loader.TensorView;
import llm4j.loader.gguf.GgufWriter;
import llm4j.loader.smq.SmqWriter;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;
import llm4j.model.load.ModelSpec;
import llm4j.model.load.TensorNames;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.quant.WeightTensor;
import llm4j.quant.smq.SmqQuantizer;
import llm4j.quant.smq.SmqRepack;
import llm4j.quant.smq.SmqScheme;

/**
 * Rewrites a runnable llama-family model (GGUF, SMQ or Hugging Face folder) as GGUF or SMQ with the metadata needed
 * to run it (architecture keys and the tokenizer). Values are kept exactly unless a type is asked for: GGUF copies
 * ggml blocks, SMQ takes F32 as is and repacks ggml Q8_0/Q4_0 without loss; anything else is decoded to F32.
 * Hugging Face names become GGUF names, and llama Q/K rows are permuted for GGUF's adjacent-pair RoPE, as llama.cpp's
 * converter does; all files are written atomically.
 */
public final class ModelConverter {

    public enum Target {
        GGUF, SMQ;

        /** The target a file name implies (".smq" or ".gguf"), or null. */
        public static Target ofFileName(Path out) {
            String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
            return name.endsWith(".smq") ? SMQ : name.endsWith(".gguf") ? GGUF : null;
        }
    }

    /**
     * @param type      null to keep values exactly; else the element type of the output's matrices ("q8_0", "f32", ...)
     * @param blockSize SMQ's elements per scale when matrices are quantized (SmallMind's sample uses 32)
     */
    public record Options(Target target, String type, int blockSize) {
    }

    /** Reports bytes written so far out of the output's total. */
    @FunctionalInterface
    public interface Progress {
        void update(long written, long total);
    }

    /** One output tensor: its name, its source, and the head count whose Q/K rows it permutes (0: none). */
    private record Output(String name, TensorView source, int permuteHeads) {
    }

    private ModelConverter() {
    }

    public static void convert(Path in, Path out, Options options, Progress progress) throws ModelFormatException, IOException {
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IOException("the output " + out + " is the input; write to another file");
        }
        try (ModelFile file = ModelFiles.open(in)) {
            ModelSpec spec = ModelSpec.of(file);
            boolean hf = spec.names() == TensorNames.HF;
            Map<String, MetadataValue> metadata = hf
                    ? HfMetadata.of(Files.isDirectory(in) ? in : in.toAbsolutePath().getParent(), spec)
                    : new LinkedHashMap<>(file.metadata().asMap());
            List<Output> tensors = hf ? fromHuggingFace(file, spec.config()) : fromGgufNames(file);
            switch (options.target()) {
                case GGUF -> writeGguf(metadata, tensors, options, out, progress);
                case SMQ -> writeSmq(metadata, tensors, options, out, progress);
            }
        }
    }

    private static List<Output> fromGgufNames(ModelFile file) {
        return file.tensors().stream().map(t -> new Output(t.name(), t, 0)).toList();
    }

    private static List<Output> fromHuggingFace(ModelFile file, ModelConfig c) throws ModelFormatException {
        // GGUF llama files pair dimensions 2i/2i+1 for RoPE; Hugging Face Q/K rows pair i with i + d/2
        boolean permute = c.ropeStyle() == RopeStyle.NEOX && HfMetadata.ggufArchitecture(c).equals("llama");
        TensorView embedding = file.tensor(TensorNames.HF.embedding()).orElse(null);
        List<Output> out = new ArrayList<>();
        for (TensorView t : file.tensors()) {
            String name = TensorNames.toGguf(t.name(), c.layers());
            if (name == null) {
                throw new ModelFormatException(file.path(), t.offset(), "tensor '" + t.name() + "' is not a weight of a "
                        + c.architecture() + " model");
            }
            boolean tiedOutput = name.equals("output.weight") && embedding != null
                    && embedding.data().address() == t.data().address();
            if (tiedOutput) {
                continue; // GGUF leaves a tied output out; readers use token_embd
            }
            int heads = !permute ? 0
                    : name.endsWith("attn_q.weight") || name.endsWith("attn_q.bias") ? c.heads()
                    : name.endsWith("attn_k.weight") || name.endsWith("attn_k.bias") ? c.kvHeads() : 0;
            out.add(new Output(name, t, heads));
        }
        return out;
    }

    // ---- GGUF -------------------------------------------------------------------------------

    private static void writeGguf(Map<String, MetadataValue> metadata, List<Output> tensors, Options options, Path out,
                                  Progress progress) throws IOException {
        GgufWriter w = new GgufWriter();
        metadata.forEach(w::put);
        GgmlType want = options.type() == null ? null : ggmlType(options.type());
        for (Output o : tensors) {
            TensorView t = o.source();
            GgmlType type = ggufType(t, want);
            if (type == t.type() && t.isGgmlLayout() && o.permuteHeads() == 0) {
                w.addTensor(o.name(), type, t.shape(), sink -> sink.write(t.data()));
            } else {
                w.addTensor(o.name(), type, t.shape(), sink -> {
                    try (Arena arena = Arena.ofConfined()) {
                        sink.write(encodeGgml(o, type, arena));
                    }
                });
            }
        }
        w.write(out, progress::update);
    }

    private static GgmlType ggmlType(String name) {
        GgmlType t = GgmlType.byName(name);
        if (t == null || !QuantFormats.has(t)) {
            throw new IllegalArgumentException("unknown or unsupported GGUF type '" + name + "'");
        }
        return t;
    }

    /** The output type: as stored (F32 when GGUF cannot hold the layout), or the requested type where rows allow it. */
    private static GgmlType ggufType(TensorView t, GgmlType want) {
        GgmlType keep = t.isGgmlLayout() ? t.type() : GgmlType.F32;
        if (want == null || t.dimensions() < 2) {
            return keep;
        }
        return t.cols() % want.blockSize() == 0 ? want : keep;
    }

    private static MemorySegment encodeGgml(Output o, GgmlType type, Arena arena) {
        TensorView t = o.source();
        int[] shape = matrixShape(o);
        int rows = shape[0];
        int cols = shape[1];
        WeightTensor w = t.matrix(rows, cols);
        QuantFormat format = QuantFormats.of(type);
        long rowBytes = type.bytesFor(cols);
        MemorySegment packed = arena.allocate(rowBytes * rows);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(sourceRow(o, r, rows), row, 0);
            format.quantize(row, 0, cols, packed, r * rowBytes);
        }
        return packed;
    }

    /** Rows × cols to decode a tensor as: a permuted 1-D bias is a column, so its elements move like rows. */
    private static int[] matrixShape(Output o) {
        TensorView t = o.source();
        if (o.permuteHeads() > 0 && t.dimensions() == 1) {
            return new int[] {Math.toIntExact(t.elementCount()), 1};
        }
        return new int[] {Math.toIntExact(t.rows()), Math.toIntExact(t.cols())};
    }

    /**
     * The source row of output row {@code r}: llama.cpp's permute for Q/K, which within each head interleaves the
     * first and second half of the rows (output row 2i+s is input row s·d/2 + i).
     */
    private static int sourceRow(Output o, int r, int rows) {
        if (o.permuteHeads() == 0) {
            return r;
        }
        int perHead = rows / o.permuteHeads();
        int head = r / perHead;
        int within = r % perHead;
        return head * perHead + (within % 2) * (perHead / 2) + within / 2;
    }

    // ---- SMQ --------------------------------------------------------------------------------

    private static void writeSmq(Map<String, MetadataValue> metadata, List<Output> tensors, Options options, Path out,
                                 Progress progress) throws IOException {
        SmqWriter w = new SmqWriter();
        w.putAll(metadata);
        SmqScheme want = options.type() == null ? null : smqScheme(options.type());
        int block = options.blockSize();
        for (Output o : tensors) {
            TensorView t = o.source();
            SmqScheme scheme = smqScheme(t, want);
            int tensorBlock = scheme == SmqScheme.F32 ? 0 : isRepackable(o, scheme) ? SmqRepack.BLOCK : block;
            w.addTensor(o.name(), scheme, t.shape(), tensorBlock, (data, scales) -> encodeSmq(o, scheme, tensorBlock, data, scales));
        }
        w.write(out, progress::update);
    }

    private static SmqScheme smqScheme(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32" -> SmqScheme.F32;
            case "q8_0" -> SmqScheme.Q8_0;
            case "q4_0" -> SmqScheme.Q4_0;
            default -> throw new IllegalArgumentException("SMQ holds f32, q8_0 and q4_0, not '" + name + "'");
        };
    }

    /** Kept exact when no type is asked for; 1-D tensors always F32 (SMQ's block schemes are rank 2). */
    private static SmqScheme smqScheme(TensorView t, SmqScheme want) {
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

    private static boolean isRepackable(Output o, SmqScheme scheme) {
        TensorView t = o.source();
        return o.permuteHeads() == 0 && t.isGgmlLayout() && SmqRepack.lossFreeScheme(t.type()) == scheme;
    }

    private static void encodeSmq(Output o, SmqScheme scheme, int block, MemorySegment data, MemorySegment scales) {
        TensorView t = o.source();
        if (scheme != SmqScheme.F32 && isRepackable(o, scheme)) {
            SmqRepack.repack(t.type(), t.data(), t.elementCount(), data, scales);
            return;
        }
        if (scheme != SmqScheme.F32 && t.layout() instanceof TensorLayout.SmqBlocks s && s.scheme() == scheme
                && s.blockSize() == block && o.permuteHeads() == 0) {
            MemorySegment.copy(t.data(), 0, data, 0, data.byteSize());
            MemorySegment.copy(s.scales(), 0, scales, 0, scales.byteSize());
            return;
        }
        int[] shape = matrixShape(o);
        int rows = shape[0];
        int cols = shape[1];
        WeightTensor w = t.matrix(rows, cols);
        if (scheme == SmqScheme.F32) {
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(sourceRow(o, r, rows), row, 0);
                MemorySegment.copy(row, 0, data, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                        .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4L * r * cols, cols);
            }
            return;
        }
        // blocks run over the flat order: feed whole rows in chunks that start on a block boundary
        int rowsPerChunk = (int) (lcm(cols, block) / cols);
        float[] chunk = new float[rowsPerChunk * cols];
        for (int r = 0; r < rows; r += rowsPerChunk) {
            int n = Math.min(rowsPerChunk, rows - r);
            for (int i = 0; i < n; i++) {
                w.dequantizeRow(sourceRow(o, r + i, rows), chunk, i * cols);
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
