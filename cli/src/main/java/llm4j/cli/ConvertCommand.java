package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import llm4j.loader.ModelFormatException;
import llm4j.model.convert.ModelConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j convert}: a runnable model (GGUF, SMQ, Hugging Face folder) rewritten as GGUF or SMQ. */
@Command(name = "convert", header = "Rewrite a model (GGUF, SMQ or Hugging Face folder) as GGUF or SMQ.", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Rewrite a model as GGUF or SMQ (SmallMind's format) with everything needed to run it:"
                + " architecture keys, tokenizer and weights. Without --type values are kept exactly (SMQ repacks"
                + " ggml Q8_0/Q4_0 without loss; other types become F32). The output is replaced atomically.",
        footer = {"", "Examples:",
            "  llm4j convert ../shared/models/safetensors/story-llama-2L-128d story.gguf",
            "  llm4j convert ../shared/models/gguf/stories260K-Q8_0.gguf stories.smq",
            "  llm4j convert ../shared/models/gguf/stories260K.gguf stories-q4.smq --type q4_0"})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "A GGUF or SMQ file, or a Hugging Face folder.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "File to write (.gguf or .smq).")
    Path out;

    @Option(names = "--format", paramLabel = "FORMAT", description = "gguf or smq; default: from OUT's extension.")
    String format;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Element type of the weight matrices: for SMQ f32, q8_0 or q4_0; for GGUF any ggml type llm4j"
                    + " quantizes (f32, f16, bf16, q8_0, q4_0, q4_k, ...). Default: keep values exactly.")
    String type;

    @Option(names = "--block-size", paramLabel = "N", defaultValue = "32",
            description = "SMQ: elements per scale when quantizing (SmallMind's default is 64). Default: ${DEFAULT-VALUE}.")
    int blockSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ModelFormatException {
        PrintWriter err = spec.commandLine().getErr();
        ModelConverter.Target target = target();
        if (blockSize < 1) {
            throw CliException.usage("--block-size must be at least 1, not " + blockSize);
        }
        long start = System.nanoTime();
        try {
            ModelConverter.convert(in, out, new ModelConverter.Options(target, type, blockSize),
                    new ByteProgress(err, "convert " + out.getFileName())::update);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        } catch (IOException e) {
            throw CliException.failure(e.getMessage());
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "%s: %s, %.1f MiB, written in %.1f s%n", out,
                target.name().toLowerCase(Locale.ROOT), size(out) / 1048576.0, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private ModelConverter.Target target() {
        if (format != null) {
            return switch (format.toLowerCase(Locale.ROOT)) {
                case "gguf" -> ModelConverter.Target.GGUF;
                case "smq" -> ModelConverter.Target.SMQ;
                default -> throw CliException.usage("--format must be gguf or smq, not '" + format + "'");
            };
        }
        ModelConverter.Target t = ModelConverter.Target.ofFileName(out);
        if (t == null) {
            throw CliException.usage("cannot tell the format of " + out + " from its name: use a .gguf or .smq name, or --format");
        }
        return t;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
