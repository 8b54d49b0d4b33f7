package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.model.load.ModelSpec;
import llm4j.model.tokenizer.HfTokenizerException;
import llm4j.model.tokenizer.HfTokenizers;
import llm4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llm4j tokenize}: a text's token ids, like llama.cpp's {@code llama-tokenize}. Only the tokenizer is built (no
 * weights are bound), from a model or straight from a Hugging Face {@code tokenizer.json} (or a folder holding one).
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Print the tokens of a text: one 'id -> 'piece'' line per token, or the ids, or their count.",
        footer = {"", "Examples:", "  llm4j tokenize ../shared/models/gguf/stories260K.gguf -p \"Once upon a time\"",
            "  llm4j tokenize tokenizer.json -f book.txt --count --verbose"})
final class TokenizeCommand implements Callable<Integer> {

    /** A tokenizer.json is read whole into a JSON tree; real ones are a few MiB. */
    static final long MAX_TOKENIZER_JSON = 256L << 20;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF or SMQ model, Hugging Face folder, or tokenizer.json. Default: $LLM4J_MODEL, else "
                    + ModelLocator.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The text. Without -p or -f it is read from standard input.")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the text from FILE.")
    Path promptFile;

    @Option(names = "--ids", description = "Print only the ids, as [1, 2, 3].")
    boolean idsOnly;

    @Option(names = "--count", description = "Print only the number of tokens.")
    boolean countOnly;

    @Option(names = "--no-bos", description = "Do not add the BOS token the vocabulary asks for.")
    boolean noBos;

    @Option(names = "--no-parse-special", description = "Tokenize control-token texts such as <s> as plain text.")
    boolean noParseSpecial;

    @Option(names = "--verbose", description = "Print the tokenizer's time and speed to stderr.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ModelFormatException {
        if (idsOnly && countOnly) {
            throw CliException.usage("--ids and --count cannot be combined");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path path = ModelLocator.resolve(model);
        String text = PromptInput.read(prompt, promptFile, System.in, err);
        long loadStart = System.nanoTime();
        Tokenizer tokenizer = load(path);
        long start = System.nanoTime();
        int[] ids = tokenizer.encode(text, !noBos, !noParseSpecial);
        long nanos = System.nanoTime() - start;
        if (countOnly) {
            out.println(ids.length);
        } else if (idsOnly) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < ids.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(ids[i]);
            }
            out.println(sb.append(']'));
        } else {
            for (int id : ids) {
                byte[] bytes = tokenizer.tokenBytes(id);
                // control tokens print nothing when generated; show their text (<s>) as llama-tokenize does
                String shown = bytes.length == 0 ? tokenizer.piece(id) : new String(bytes, StandardCharsets.UTF_8);
                out.println(String.format("%6d -> '%s'", id, shown));
            }
        }
        out.flush();
        if (verbose) {
            long bytes = text.getBytes(StandardCharsets.UTF_8).length;
            err.printf("llm4j: tokenizer loaded in %s; %d bytes -> %d tokens in %s (%.2f MB/s)%n",
                    Durations.format(start - loadStart), bytes, ids.length, Durations.format(nanos),
                    bytes / 1e6 / Math.max(nanos / 1e9, 1e-9));
            err.flush();
        }
        return 0;
    }

    /** The tokenizer of a model file or folder, or of a tokenizer.json (alone or in a folder without weights). */
    private static Tokenizer load(Path path) throws ModelFormatException {
        Path json = Files.isDirectory(path) && !Files.exists(path.resolve("model.safetensors"))
                && !Files.exists(path.resolve("model.safetensors.index.json")) ? path.resolve("tokenizer.json") : path;
        if (json.getFileName() != null && json.getFileName().toString().endsWith(".json")) {
            return fromJson(json);
        }
        try (ModelFile file = ModelFiles.open(path)) {
            return ModelSpec.of(file).tokenizer();
        }
    }

    private static Tokenizer fromJson(Path json) throws ModelFormatException {
        ModelFiles.requireRegularFile(json);
        try {
            if (Files.size(json) > MAX_TOKENIZER_JSON) {
                throw new ModelFormatException(json, -1, "is larger than " + (MAX_TOKENIZER_JSON >> 20) + " MiB");
            }
            JsonNode root = new ObjectMapper().readTree(json.toFile());
            return HfTokenizers.fromJson(root, HfTokenizers.Hints.NONE, 0);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(json, -1, "is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(json, -1, "cannot be read: " + e.getMessage());
        } catch (HfTokenizerException e) {
            throw new ModelFormatException(json, -1, e.getMessage());
        }
    }
}
