package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import llm4j.model.synth.KeyOutliers;
import llm4j.model.synth.SynthModel;
import llm4j.model.synth.SynthShape;
import llm4j.model.synth.SynthType;
import llm4j.model.synth.SynthVocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j synth}: writes a random-weight GGUF with a real model's tensor shapes, for benchmarks. */
@Command(name = "synth", header = "Write a random-weight GGUF with a known model's exact shapes (benchmark models).",
        mixinStandardHelpOptions = true,
        description = "Write a llama GGUF with random N(0, 0.02) weights and the exact tensor shapes of a known model,"
                + " in any weight type. Speed does not depend on weight values, so these are the benchmark models;"
                + " their text is meaningless. llama.cpp loads them too. The file is replaced atomically.",
        footer = {"",
            "Shapes: smollm2-135m, llama-3.2-1b (SmolLM2 vocabulary, context declared as 8192), tiny.",
            "",
            "Types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K put one type in every matrix"
                + " (like llama-quantize --pure); Q4_K_M is llama-quantize's mixture. Rows a type cannot hold fall back"
                + " as llama-quantize does (SmolLM2's 576-wide rows: Q4_K to Q5_0, Q6_K to Q8_0, Q2_K and Q3_K to Q4_0).",
            "",
            "--key-outliers makes a model for KV-cache quality measurements: trained models' keys have a few channels"
                + " per head 10-100x louder than the rest (what key rotation and smoothing exist for); random weights have none.",
            "",
            "Examples:",
            "  llm4j synth smollm2-135m Q8_0 smollm2-135m-Q8_0.gguf",
            "  llm4j synth smollm2-135m Q4_K_M s.gguf --tokenizer tokenizer.json",
            "  llm4j synth llama-3.2-1b Q4_0 llama-1b-Q4_0.gguf --seed 7",
            "  llm4j synth tiny F32 tiny-outliers.gguf --key-outliers 2:16"})
final class SynthCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SHAPE", description = "Model shape: smollm2-135m, llama-3.2-1b or tiny.")
    String shape;

    @Parameters(index = "1", paramLabel = "TYPE", description = "Weight type, e.g. Q8_0, Q4_0, Q4_K_M, F16.")
    String type;

    @Parameters(index = "2", paramLabel = "OUT.gguf", description = "File to write.")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "A byte-level BPE tokenizer.json (e.g. SmolLM2's) whose vocabulary, merges and special tokens the file carries;"
                    + " BOS/EOS ids come from a config.json beside it. Without it: a placeholder vocabulary of the right size.")
    Path tokenizer;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "" + SynthModel.DEFAULT_SEED,
            description = "Random seed; the same seed gives the same file. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--key-outliers", paramLabel = "N[:GAIN]",
            description = "Make N rotary pairs (2N channels) per KV head of every attn_k.weight GAIN times louder"
                    + " (default gain " + (int) KeyOutliers.DEFAULT_GAIN + "), chosen by the seed per layer, as trained models'"
                    + " keys have. Default: none.")
    String keyOutliers;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Threads generating and quantizing weights; 0 uses every core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SynthShape s = SynthShape.byName(shape);
        if (s == null) {
            throw CliException.usage("unknown shape '" + shape + "' (choose from " + String.join(", ", SynthShape.names()) + ")");
        }
        SynthType t = SynthType.byName(type);
        if (t == null) {
            throw CliException.usage("unknown type '" + type + "' (choose from " + String.join(", ", SynthType.names()) + ")");
        }
        if (threads < 0) {
            throw CliException.usage("-t must be at least 1 (or 0 for every core), not " + threads);
        }
        KeyOutliers outliers = KeyOutliers.NONE;
        if (keyOutliers != null) {
            try {
                outliers = KeyOutliers.parse(keyOutliers);
                outliers.check(s.headDim());
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--key-outliers: " + e.getMessage());
            }
        }
        SynthModel.Spec model = new SynthModel.Spec(s, t, vocabulary(s), seed, outliers);
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        try {
            SynthModel.write(model, this.out, workers, new ByteProgress(err, "synth " + this.out.getFileName()));
        } catch (IOException e) {
            throw CliException.failure(e.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = size(this.out);
        String params = s.parameters() >= 1e9
                ? String.format(Locale.ROOT, "%.2f B", s.parameters() / 1e9)
                : String.format(Locale.ROOT, "%.1f M", s.parameters() / 1e6);
        String loud = outliers.none() ? "" : ", key outliers " + outliers.label();
        out.printf(Locale.ROOT, "%s: %s %s, %s parameters, %.1f MiB, seed %d%s, written in %.1f s%n", this.out, s.name(), t,
                params, bytes / (1024.0 * 1024.0), seed, loud, seconds);
        return 0;
    }

    private SynthVocabulary vocabulary(SynthShape s) {
        if (tokenizer == null) {
            return SynthVocabulary.placeholder(s.vocabSize());
        }
        if (!Files.isRegularFile(tokenizer)) {
            throw CliException.failure("tokenizer " + tokenizer + ": no such file");
        }
        try {
            return SynthVocabulary.fromHfTokenizer(tokenizer, s.vocabSize());
        } catch (IOException e) {
            throw CliException.failure("cannot use tokenizer " + tokenizer + ": " + e.getMessage());
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
