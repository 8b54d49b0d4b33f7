package llm4j.model.quantize;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.TensorView;
import llm4j.loader.gguf.GgufWriter;
import llm4j.loader.gguf.TensorSource;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;

/**
 * Re-encodes a model file's tensors as llama-quantize does: {@link #plan} picks each tensor's type, and
 * {@link #source} streams its new bytes (dequantize a row to floats, quantize it with ggml's reference
 * quantizer, several rows at once on the given threads). {@link #gguf} assembles a GGUF writer; another
 * container (SMQ) can take the same plan and sources.
 */
public final class Quantizer {

    /** What to produce; null override types mean "as the mixture says". */
    public record Options(Mixture mixture, boolean pure, GgmlType outputType, GgmlType embeddingType) {
    }

    /** A tensor and the type it will be written in (its own type when copied unchanged). */
    public record Planned(TensorView tensor, GgmlType type) {

        public boolean converted() {
            return tensor.type() != type;
        }

        public long outputBytes() {
            return type.bytesFor(tensor.elementCount());
        }
    }

    /** Bytes a conversion buffers between the quantizing threads and the file. */
    static final long CHUNK_BYTES = 8L << 20;

    private Quantizer() {
    }

    /** The type of every tensor, in file order; fallbacks and requantization are reported to {@code warnings}. */
    public static List<Planned> plan(ModelFile in, Options o, Consumer<String> warnings) {
        Metadata md = in.metadata();
        String arch = md.get("general.architecture").map(v -> String.valueOf(v.value())).orElse("");
        int heads = intKey(md, arch + ".attention.head_count");
        int kvHeads = intKey(md, arch + ".attention.head_count_kv");
        List<QuantPlan.Tensor> infos = in.tensors().stream().map(t -> new QuantPlan.Tensor(t.name(), t.shape(), t.type())).toList();
        QuantPlan plan = new QuantPlan(o.mixture(), o.pure(), o.outputType(), o.embeddingType(), arch, heads,
                kvHeads > 0 ? kvHeads : heads, intKey(md, arch + ".expert_count"), infos);
        List<Planned> out = new ArrayList<>();
        GgmlType requantized = null;
        for (int i = 0; i < infos.size(); i++) {
            TensorView t = in.tensors().get(i);
            GgmlType type = plan.next(infos.get(i), warnings);
            if (type != t.type()) {
                if (!QuantFormats.has(t.type())) {
                    throw new IllegalArgumentException("tensor " + t.name() + " has type " + t.type() + ", which llm4j cannot convert");
                }
                if (!QuantFormats.has(type)) {
                    throw new IllegalArgumentException("llm4j cannot write type " + type + " (tensor " + t.name() + ")");
                }
                if (t.type().blockSize() > 1 && requantized == null) {
                    requantized = t.type();
                }
            }
            out.add(new Planned(t, type));
        }
        if (requantized != null) {
            warnings.accept("the input is already quantized (" + requantized.label() + "): requantizing loses more quality "
                    + "than quantizing from F32, F16 or BF16");
        }
        return out;
    }

    private static int intKey(Metadata md, String key) {
        return md.get(key).filter(v -> v.type().isInteger()).map(v -> (int) (long) (Long) v.value()).orElse(0);
    }

    /** A writer with the input's metadata, {@code general.file_type} and the planned tensors. */
    public static GgufWriter gguf(ModelFile in, List<Planned> plan, Options o, ExecutorService pool, int threads) {
        GgufWriter w = new GgufWriter();
        w.putAll(in.metadata());
        w.putUInt32("general.file_type", o.mixture().fileType());
        w.putUInt32("general.quantization_version", 2);
        for (Planned p : plan) {
            w.addTensor(p.tensor().name(), p.type(), p.tensor().shape(), source(p, pool, threads));
        }
        return w;
    }

    /** The tensor's bytes in its planned type: copied when unchanged, else converted row by row in parallel. */
    public static TensorSource source(Planned p, ExecutorService pool, int threads) {
        TensorView t = p.tensor();
        if (!p.converted()) {
            return TensorSource.of(t.data());
        }
        GgmlType target = p.type();
        return sink -> {
            QuantFormat from = QuantFormats.of(t.type());
            QuantFormat to = QuantFormats.of(target);
            int cols = (int) t.cols();
            long rows = t.rows();
            long inRow = t.type().bytesFor(cols);
            long outRow = target.bytesFor(cols);
            int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_BYTES / Math.max(outRow, 4L * cols)));
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = arena.allocate(chunkRows * outRow, 64);
                for (long first = 0; first < rows; first += chunkRows) {
                    int n = (int) Math.min(chunkRows, rows - first);
                    long base = first;
                    int parts = Math.max(1, Math.min(threads, n));
                    List<Future<?>> work = new ArrayList<>(parts);
                    for (int k = 0; k < parts; k++) {
                        int from0 = (int) ((long) n * k / parts);
                        int to0 = (int) ((long) n * (k + 1) / parts);
                        work.add(pool.submit(() -> {
                            float[] row = new float[cols];
                            for (int r = from0; r < to0; r++) {
                                from.dequantize(t.data(), (base + r) * inRow, row, 0, cols);
                                to.quantize(row, 0, cols, buffer, r * outRow);
                            }
                        }));
                    }
                    await(work);
                    sink.write(buffer.asSlice(0, n * outRow));
                }
            }
        };
    }

    private static void await(List<Future<?>> work) throws IOException {
        try {
            for (Future<?> f : work) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        }
    }
}
