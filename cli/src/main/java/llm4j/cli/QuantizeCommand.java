package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.gguf.GgufWriter;
import llm4j.model.convert.ModelConverter;
import llm4j.model.quantize.Mixture;
import llm4j.model.quantize.Quantizer;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j quantize}: llama-quantize's file types, byte for byte where ggml's quantizers define the bytes. */
@Command(name = "quantize", header = "Re-encode a model's weights as llama-quantize does.", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Re-encode a model's weights as llama-quantize does: TYPE is a file type (Q4_K_M, Q8_0, F16, ...);",
            "K mixtures give the output tensor, attn_v and some ffn_down layers more bits, --pure puts TYPE everywhere.",
            "1-D tensors and norms are copied as they are. Rows a type's block does not divide fall back (K-quants to a",
            "32-wide type, else F16) with a warning. The output is written atomically: a failure leaves no file."},
        footer = {"", "Types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K",
            "", "Examples:",
            "  llm4j quantize ../shared/models/gguf/stories260K.gguf stories260K-Q8_0.gguf Q8_0",
            "  llm4j quantize ../shared/models/gguf/random-llama-256d-F32.gguf r-Q4_K_M.gguf Q4_K_M",
            "  llm4j quantize in.gguf out.gguf Q4_0 --pure --output-tensor-type q8_0 -t 4"})
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "GGUF or SMQ model to read (F32, F16, BF16 or quantized).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "File to write.")
    Path out;

    @Parameters(index = "2", paramLabel = "TYPE", description = "File type, e.g. Q4_K_M, Q8_0, F16 (list below).")
    String type;

    @Option(names = "--pure", description = "Every quantizable tensor in TYPE's base type: no K-mixture upgrades.")
    boolean pure;

    @Option(names = "--output-tensor-type", paramLabel = "T", description = "Type for output.weight, e.g. q8_0, f16.")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "T", description = "Type for token_embd.weight.")
    String tokenEmbeddingType;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "gguf",
            description = "Output container: gguf, or smq (SmallMind; TYPE F32, Q8_0 or Q4_0, blocks of 32, see 'llm4j convert'). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--verbose", description = "List every tensor with its old and new type.")
    boolean verbose;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Quantizing threads; 0 uses every core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (format.equalsIgnoreCase("smq")) {
            return toSmq(stdout, err);
        }
        Mixture mixture = Mixture.byName(type);
        if (mixture == null) {
            throw CliException.usage("unsupported type '" + type + "' (llm4j quantizes to " + String.join(", ", Mixture.names()) + ")");
        }
        GgmlType outputType = tensorType("--output-tensor-type", outputTensorType);
        GgmlType embeddingType = tensorType("--token-embedding-type", tokenEmbeddingType);
        if (!format.equalsIgnoreCase("gguf")) {
            throw CliException.usage("--format " + format + " is not supported (gguf or smq)");
        }
        if (threads < 0) {
            throw CliException.usage("-t must be at least 1 (or 0 for every core), not " + threads);
        }
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw CliException.usage("OUT must be another file than IN");
        }
        checkOutputDirectory();
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Quantizer.Options options = new Quantizer.Options(mixture, pure, outputType, embeddingType);
        long start = System.nanoTime();
        try (ModelFile file = ModelFiles.open(in);
             ExecutorService pool = Executors.newFixedThreadPool(workers, Thread.ofPlatform().daemon().name("llm4j-quantize-", 0).factory())) {
            if (file.format().equals("safetensors")) {
                // Hugging Face names and config.json need the converter's mapping (and Q/K permutation) first
                throw CliException.failure(in + " is a Hugging Face checkpoint; convert it first: llm4j convert " + in
                        + " model.gguf, then quantize model.gguf (or llm4j convert " + in + " model.gguf --type q8_0)");
            }
            if (!file.metadata().has("general.architecture")) {
                throw CliException.failure(in + " has no general.architecture: not a model llm4j can quantize");
            }
            List<Quantizer.Planned> plan;
            try {
                plan = Quantizer.plan(file, options, w -> warn(err, w));
            } catch (IllegalArgumentException e) {
                throw CliException.failure(e.getMessage());
            }
            if (verbose) {
                for (int i = 0; i < plan.size(); i++) {
                    Quantizer.Planned p = plan.get(i);
                    err.printf(Locale.ROOT, "[%4d/%4d] %-36s %-6s -> %-6s %s%n", i + 1, plan.size(), p.tensor().name(),
                            p.tensor().type().label(), p.type().label(), p.converted() ? "" : "(copied)");
                }
                err.flush();
            }
            GgufWriter writer = Quantizer.gguf(file, plan, options, pool, workers);
            try {
                writer.write(out, new DelayedProgress(new ByteProgress(err, "quantize " + out.getFileName())));
            } catch (IOException e) {
                throw CliException.failure(e.getMessage());
            }
            long params = plan.stream().mapToLong(p -> p.tensor().elementCount()).sum();
            long inBytes = plan.stream().mapToLong(p -> p.tensor().byteSize()).sum();
            long outBytes = plan.stream().mapToLong(Quantizer.Planned::outputBytes).sum();
            stdout.printf(Locale.ROOT, "%s: %s%s, %d tensors (%d converted), %s -> %s, %.2f -> %.2f bits per weight, %.1f s%n",
                    out, mixture, pure ? " (pure)" : "", plan.size(), plan.stream().filter(Quantizer.Planned::converted).count(),
                    InspectCommand.size(inBytes), InspectCommand.size(outBytes), 8.0 * inBytes / params, 8.0 * outBytes / params,
                    (System.nanoTime() - start) / 1e9);
            stdout.flush();
        }
        return 0;
    }

    /** SMQ output: SmallMind's own schemes, written by the converter (ggml Q8_0/Q4_0 sources are repacked loss-free). */
    private int toSmq(PrintWriter stdout, PrintWriter err) throws Exception {
        String scheme = type.toLowerCase(Locale.ROOT);
        if (!List.of("f32", "q8_0", "q4_0").contains(scheme)) {
            throw CliException.usage("--format smq holds F32, Q8_0 and Q4_0, not '" + type + "'");
        }
        if (pure || outputTensorType != null || tokenEmbeddingType != null) {
            throw CliException.usage("--pure, --output-tensor-type and --token-embedding-type apply to GGUF output only");
        }
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw CliException.usage("OUT must be another file than IN");
        }
        checkOutputDirectory();
        long start = System.nanoTime();
        try {
            ModelConverter.convert(in, out, new ModelConverter.Options(ModelConverter.Target.SMQ, scheme, 32),
                    new DelayedProgress(new ByteProgress(err, "quantize " + out.getFileName()))::update);
        } catch (IOException e) {
            throw CliException.failure(e.getMessage());
        }
        stdout.printf(Locale.ROOT, "%s: smq %s, %s, %.1f s%n", out, type.toUpperCase(Locale.ROOT),
                InspectCommand.size(Files.size(out)), (System.nanoTime() - start) / 1e9);
        stdout.flush();
        return 0;
    }

    /** Fails before any work when OUT cannot be written (AtomicFile would only find out at the end). */
    private void checkOutputDirectory() {
        Path dir = out.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw CliException.failure("cannot write " + out + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw CliException.failure("cannot write " + out + ": directory " + dir + " is not writable");
        }
        if (Files.isDirectory(out)) {
            throw CliException.failure("cannot write " + out + ": it is a directory");
        }
    }

    private static GgmlType tensorType(String flag, String name) {
        if (name == null) {
            return null;
        }
        GgmlType t = GgmlType.byName(name);
        if (t == null || !QuantFormats.has(t)) {
            throw CliException.usage(flag + ": unsupported tensor type '" + name + "' (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k ... q6_k)");
        }
        return t;
    }

    private static void warn(PrintWriter err, String warning) {
        err.println("llm4j: warning: " + warning);
        err.flush();
    }
}
