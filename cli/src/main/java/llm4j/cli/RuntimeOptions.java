package llm4j.cli;

import java.io.PrintWriter;

import llm4j.model.ModelConfig;
import llm4j.model.parallel.WorkerPool;
import picocli.CommandLine.Option;

/** Context, batch and thread flags shared by every command that evaluates a model. */
public final class RuntimeOptions {

    /** Context used when -c is not given and the model allows more. */
    static final int DEFAULT_CONTEXT = 4096;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context size in tokens; 0 uses the model's, capped at " + DEFAULT_CONTEXT + ". Default: ${DEFAULT-VALUE}.")
    int context;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Worker threads; 0 uses every core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "512",
            description = "Prompt tokens evaluated per batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    int context(ModelConfig config, PrintWriter err) {
        if (context < 0) {
            throw CliException.usage("-c must be positive (or 0 for the model's context), not " + context);
        }
        if (context == 0) {
            return Math.min(config.contextLength(), DEFAULT_CONTEXT);
        }
        if (context > config.contextLength()) {
            err.println("llm4j: warning: -c " + context + " exceeds the model's trained context of "
                    + config.contextLength() + "; quality may degrade past it");
        }
        return context;
    }

    int batchSize() {
        if (batch < 1) {
            throw CliException.usage("-b must be at least 1, not " + batch);
        }
        return batch;
    }

    WorkerPool pool(PrintWriter err) {
        if (threads < 0) {
            throw CliException.usage("-t must be at least 1 (or 0 for every core), not " + threads);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads > cores) {
            err.println("llm4j: warning: -t " + threads + " is more than the " + cores + " cores available; using " + threads + " anyway");
        }
        return new WorkerPool(threads == 0 ? WorkerPool.defaultThreads() : threads);
    }
}
