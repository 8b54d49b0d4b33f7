package llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorView;
import llm4j.loader.gguf.GgufFile;
import llm4j.quant.QuantFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j inspect}: what is inside a model file, without loading the model. */
@Command(name = "inspect", header = "Show a model file: summary, metadata and tensor table (like ollama show and gguf-dump).", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Show a model file: a summary like 'ollama show', its metadata like gguf-dump (long arrays cut",
            "short unless --full) and a table of its tensors (index, name, type, shape, elements, bytes, file offset).",
            "--tensor NAME --dump prints dequantized values; --stats adds min/max/mean/std and NaN/Inf counts per tensor;",
            "--json prints everything as one JSON object (field names in the README)."},
        footer = {"", "Examples:",
            "  llm4j inspect ../shared/models/gguf/stories260K-Q8_0.gguf",
            "  llm4j inspect ../shared/models/gguf/stories260K.gguf --tensor output_norm.weight --dump --limit 8",
            "  llm4j inspect ../shared/models/gguf/stories260K-Q4_0.gguf --stats --json"})
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "Model file. Default: $LLM4J_MODEL, else " + ModelLocator.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--full", description = "Show every element of array metadata (vocabularies can be long).")
    boolean full;

    @Option(names = "--tensor", paramLabel = "NAME", description = "Only this tensor.")
    String tensor;

    @Option(names = "--dump", description = "Print the dequantized values of --tensor.")
    boolean dump;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "16",
            description = "Values --dump prints; -1 prints all. Default: ${DEFAULT-VALUE}.")
    long limit;

    @Option(names = "--stats", description = "Per-tensor min, max, mean, std and NaN/Inf counts (reads every weight).")
    boolean stats;

    @Option(names = "--json", description = "One JSON object on standard output instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (dump && tensor == null) {
            throw CliException.usage("--dump needs --tensor NAME");
        }
        if (limit < -1) {
            throw CliException.usage("--limit must be -1 (all) or more, not " + limit);
        }
        Path path = ModelLocator.resolve(model);
        try (ModelFile file = ModelFiles.open(path)) {
            List<TensorView> tensors = file.tensors();
            if (tensor != null) {
                tensors = tensors.stream().filter(t -> t.name().equals(tensor)).toList();
                if (tensors.isEmpty()) {
                    throw CliException.failure(path + " has no tensor named " + tensor);
                }
            }
            float[] values = null;
            if (dump) {
                TensorView t = tensors.getFirst();
                requireKernels(t);
                long n = limit < 0 ? t.elementCount() : Math.min(limit, t.elementCount());
                if (n > Integer.MAX_VALUE - 8) {
                    throw CliException.usage("--dump of " + n + " values is too many; give a smaller --limit");
                }
                values = TensorStats.first(t, (int) n);
            }
            ModelSummary summary = ModelSummary.of(file);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(file, summary, tensors, values)));
            } else {
                InspectText text = new InspectText(out, Style.of(Style.stdoutIsTerminal()));
                if (tensor == null) {
                    text.summary(file, summary);
                    text.metadata(file.metadata(), full ? -1 : MetadataFormat.SHOWN);
                }
                text.tensors(file, tensors, stats);
                if (values != null) {
                    text.values(tensors.getFirst(), values);
                }
            }
            out.flush();
        }
        return 0;
    }

    /** Whether llm4j can decode the tensor (a ggml type with kernels, or SMQ blocks). */
    static boolean decodable(TensorView t) {
        return !t.isGgmlLayout() || QuantFormats.has(t.type());
    }

    private static void requireKernels(TensorView t) {
        if (!decodable(t)) {
            throw CliException.failure("tensor " + t.name() + " has type " + t.type() + ", which llm4j cannot dequantize");
        }
    }

    private Map<String, Object> toJson(ModelFile file, ModelSummary s, List<TensorView> tensors, float[] values) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("file", file.path().toString());
        root.put("format", file.format());
        root.put("file_size", file.fileSize());
        if (file instanceof GgufFile g) {
            root.put("gguf_version", g.version());
            root.put("alignment", g.alignment());
            root.put("data_offset", g.dataOffset());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("architecture", s.architecture());
        summary.put("name", s.name());
        summary.put("parameters", s.parameters());
        summary.put("tensor_bytes", s.tensorBytes());
        summary.put("bits_per_weight", s.bitsPerWeight());
        summary.put("context_length", s.contextLength());
        summary.put("embedding_length", s.embeddingLength());
        summary.put("layers", s.layers());
        summary.put("heads", s.heads());
        summary.put("kv_heads", s.kvHeads());
        summary.put("head_dim", s.headDim());
        summary.put("tokenizer", s.tokenizer());
        summary.put("vocab_size", s.vocabSize());
        summary.put("chat_template", s.chatTemplate());
        summary.put("kv_bytes_per_token", s.kvBytesPerToken());
        root.put("summary", summary);
        List<Map<String, Object>> metadata = new ArrayList<>();
        for (Map.Entry<String, MetadataValue> e : file.metadata().asMap().entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", e.getKey());
            m.put("type", e.getValue().typeLabel());
            m.put("count", e.getValue().length());
            m.put("value", MetadataFormat.json(e.getValue(), full ? -1 : MetadataFormat.SHOWN));
            metadata.add(m);
        }
        root.put("metadata", metadata);
        List<Map<String, Object>> list = new ArrayList<>();
        List<TensorView> all = file.tensors();
        for (TensorView t : tensors) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", all.indexOf(t));
            m.put("name", t.name());
            m.put("type", t.typeLabel());
            m.put("shape", t.shape());
            m.put("elements", t.elementCount());
            m.put("bytes", t.byteSize());
            m.put("offset", t.offset());
            if (stats && decodable(t)) {
                TensorStats st = TensorStats.of(t);
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("min", st.min());
                sm.put("max", st.max());
                sm.put("mean", st.mean());
                sm.put("std", st.std());
                sm.put("nan", st.nan());
                sm.put("inf", st.inf());
                m.put("stats", sm);
            }
            list.add(m);
        }
        root.put("tensors", list);
        if (values != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("tensor", tensors.getFirst().name());
            d.put("values", values);
            root.put("dump", d);
        }
        return root;
    }

    static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }
}
