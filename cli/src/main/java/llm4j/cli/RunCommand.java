package llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import llm4j.model.Model;
import llm4j.model.generate.ContextFullException;
import llm4j.model.generate.GenerationStats;
import llm4j.model.generate.Generator;
import llm4j.model.generate.Session;
import llm4j.model.generate.StopReason;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.KvOverflow;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.KvStats;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.Sampler;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Utf8StreamDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j run}: one prompt in, streamed text out. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Generate text from a prompt. Only the generated text goes to standard output.",
        footer = {"", "Examples:", "  llm4j run ../shared/models/gguf/stories260K.gguf -p \"Once upon a time\" -n 64 --temp 0",
            "  llm4j run model.gguf --chat --system \"Answer in one line.\" -p \"Why is the sky blue?\""})
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF or SMQ model file, or a Hugging Face folder (safetensors). Default: $LLM4J_MODEL, else "
                    + ModelLocator.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--quantize-on-load", paramLabel = "TYPE",
            description = "Re-encode the weight matrices to TYPE (e.g. q8_0) when loading; the file is not changed.")
    String quantizeOnLoad;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt. Without -p or -f it is read from standard input.")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from FILE.")
    Path promptFile;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Tokens to generate; -1 until end of text or a full context. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ChatOptions chat;

    @Option(names = "--verbose", description = "After the text, print load time, prompt and generation speed and the KV cache's state to stderr.")
    boolean verbose;

    @Mixin
    KvOptions kvOptions;

    @Option(names = "--prompt-cache", paramLabel = "FILE",
            description = "Save the prompt's K/V state to FILE after prefill; reuse it when a later prompt shares a prefix.")
    Path promptCache;

    @Option(names = "--stats-json", paramLabel = "FILE", description = "Write generation and KV cache statistics to FILE as JSON.")
    Path statsJson;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw CliException.usage("-n must be -1 (unlimited), 0 or more, not " + maxTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        sampling.settings(); // flags are checked before the model loads; the model may supply defaults later
        Path path = ModelLocator.resolve(model);
        String text = PromptInput.read(prompt, promptFile, System.in, err);
        long t0 = System.nanoTime();
        try (Model m = Model.load(path, LoadOptionsParser.parse(quantizeOnLoad)); WorkerPool pool = runtime.pool(err)) {
            long loadNanos = System.nanoTime() - t0;
            Tokenizer tokenizer = m.tokenizer();
            if (chat.enabled()) {
                text = chat.prompt(m, text, err);
            }
            int[] tokens = tokenizer.encode(text, true, true);
            if (tokens.length == 0) {
                throw CliException.failure("the prompt is empty and the model has no BOS token to start from");
            }
            int ctx = runtime.context(m.config(), err);
            KvSettings kvSettings = kvOptions.settings();
            if (tokens.length >= ctx && kvSettings.overflow() != KvOverflow.SHIFT) {
                throw CliException.failure("the prompt is " + tokens.length + " tokens but the context holds " + ctx
                        + " (raise -c, up to the model's " + m.config().contextLength() + ")");
            }
            m.requireMemoryFor(ctx, Math.min(runtime.batchSize(), ctx), 1, pool.threads());
            int wanted = maxTokens < 0 ? ctx : tokens.length + maxTokens;
            PagedKvCache kv = kvOptions.newCache(m, ctx, wanted);
            // activation buffers for the prompt's length, not -b: a short prompt then costs no 512-token buffers
            // (60 MiB on a 1B model); batches are the same either way, so results are too
            Session session = m.newSession(kv, pool, Math.max(1, Math.min(runtime.batchSize(), tokens.length)));
            PromptCaching caching = promptCache == null ? null : new PromptCaching(promptCache, path, quantizeOnLoad, kv, tokens, err);
            int fed = caching == null ? 0 : caching.restore();
            session.resumeAt(fed);
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            Sampler sampler = new Sampler(sampling.settings(m.generationDefaults(), spec.commandLine().getParseResult()),
                    m.config().vocabSize());
            GenerationStats stats;
            try {
                stats = Generator.generate(session, tokens, fed, caching == null ? null : caching::save, maxTokens, sampler,
                        tokenizer::isEndOfGeneration, token -> {
                            out.print(decoder.feed(tokenizer.tokenBytes(token)));
                            out.flush();
                            return !out.checkError();
                        });
            } catch (ContextFullException | KvCapacityException e) {
                throw CliException.failure(e.getMessage());
            }
            out.print(decoder.flush());
            out.flush();
            if (System.console() != null && System.console().isTerminal()) {
                err.println(); // leave the shell prompt on a line of its own without touching stdout
            }
            if (stats.stop() == StopReason.CONTEXT_FULL) {
                err.println();
                err.println("llm4j: context full after " + session.position() + " tokens; stopped (raise -c for longer output)");
            }
            KvStats kvStats = kv.stats();
            if (verbose) {
                printStats(err, loadNanos, stats, System.nanoTime() - t0);
                if (caching != null) {
                    err.println(caching.summary());
                }
                kvStats.lines().forEach(err::println);
                err.flush();
            }
            if (statsJson != null) {
                StatsJson.write(statsJson, stats, kvStats);
            }
        }
        return 0;
    }

    static void printStats(PrintWriter err, long loadNanos, GenerationStats s, long totalNanos) {
        err.println();
        err.printf("total duration:       %s%n", Durations.format(totalNanos));
        err.printf("load duration:        %s%n", Durations.format(loadNanos));
        err.printf("prompt eval count:    %d token(s)%n", s.promptTokens());
        err.printf("prompt eval duration: %s%n", Durations.format(s.promptNanos()));
        err.printf("prompt eval rate:     %.2f tokens/s%n", s.promptTokensPerSecond());
        err.printf("eval count:           %d token(s)%n", s.generatedTokens());
        err.printf("eval duration:        %s%n", Durations.format(s.generateNanos()));
        err.printf("eval rate:            %.2f tokens/s%n", s.generateTokensPerSecond());
        err.flush();
    }
}
