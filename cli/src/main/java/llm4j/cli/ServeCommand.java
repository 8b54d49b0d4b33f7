package llm4j.cli;

import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import llm4j.model.Model;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.kv.KvSettings;
import llm4j.model.load.SessionMemory;
import llm4j.model.parallel.WorkerPool;
import llm4j.server.LlmServer;
import llm4j.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j serve}: parses flags, loads the model and runs the OpenAI-compatible server until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Serve a model over an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions).",
        footer = {"", "Examples:", "  llm4j serve ../shared/models/gguf/stories260K.gguf --port 8080 --parallel 4",
            "  curl http://127.0.0.1:8080/v1/completions -d '{\"prompt\": \"Once upon a time\", \"max_tokens\": 32}'"})
final class ServeCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF or SMQ model file, or a Hugging Face folder. Default: $LLM4J_MODEL, else " + ModelLocator.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to bind. Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port (0: any free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "1",
            description = "Requests decoded at once, each with its own KV cache. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "Requests that may wait for a free slot; more get 503 with Retry-After. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' on /v1/* and /metrics.")
    String apiKey;

    @Option(names = "--alias", paramLabel = "NAME", description = "Model name clients use. Default: the model file's name without extension.")
    String alias;

    @Option(names = "--cache-ttl", paramLabel = "DURATION", defaultValue = "1h",
            description = "Prefix-cache entries unused this long are dropped (e.g. 90s, 30m, 1h). Default: ${DEFAULT-VALUE}.")
    String cacheTtl;

    @Option(names = "--cache-mem-cap", paramLabel = "SIZE", defaultValue = "256M",
            description = "Bytes the prefix cache may hold (0 disables it); least recently used entries go first. Default: ${DEFAULT-VALUE}.")
    String cacheMemCap;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Persist prefix-cache entries here (prompt-cache format) and reload them at start.")
    Path cacheDir;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m",
            description = "Longest a request may take, queueing included. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "1M",
            description = "Largest request body; larger ones get 413. Default: ${DEFAULT-VALUE}.")
    String maxBody;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE",
            description = "Chat template for /v1/chat/completions: a built-in name or a Jinja file. Default: the model's own; "
                    + "without one, chat messages' contents are joined and continued as plain text.")
    String chatTemplate;

    @Option(names = "--quantize-on-load", paramLabel = "TYPE", description = "Re-encode the weight matrices to TYPE when loading.")
    String quantizeOnLoad;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    KvOptions kvOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (parallel < 1) {
            throw CliException.usage("--parallel must be at least 1, not " + parallel);
        }
        if (queue < 0) {
            throw CliException.usage("--queue must not be negative, not " + queue);
        }
        if (port < 0 || port > 65535) {
            throw CliException.usage("--port must be 0..65535, not " + port);
        }
        Duration ttl = duration("--cache-ttl", cacheTtl);
        Duration requestTimeout = duration("--timeout", timeout);
        long cacheCap = "0".equals(cacheMemCap.strip()) ? 0 : size("--cache-mem-cap", cacheMemCap);
        long bodyLimit = size("--max-body", maxBody);
        if (bodyLimit > Integer.MAX_VALUE - 8) {
            throw CliException.usage("--max-body must be below 2G");
        }
        sampling.settings();
        KvSettings kv = kvOptions.settings();
        Path path = ModelLocator.resolve(model);
        try (Model m = Model.load(path, LoadOptionsParser.parse(quantizeOnLoad)); WorkerPool pool = runtime.pool(err)) {
            int ctx = runtime.context(m.config(), err);
            requireHeap(m, path, ctx, pool.threads(), kv, cacheCap);
            // the cap is global: each slot gets an equal share; check one slot's share like run checks its cache
            kvOptions.newCache(m, ctx, 1);
            if (kv.capped()) {
                long perSlot = kv.capBytes() / parallel;
                int window = Math.min(ctx, kv.sinks() + kv.keepRecent() + llm4j.model.kv.PagedKvCache.PAGE_POSITIONS);
                long need = m.newCache(ctx, kv.withCap(0, kv.overflow())).minimumBytes(window);
                if (need > perSlot) {
                    throw CliException.usage(String.format(Locale.ROOT, "--kv-mem-cap %d split over %d slots leaves %d bytes each, "
                            + "less than the %d the sinks and --kv-keep-recent %d need; raise the cap or lower --parallel",
                            kv.capBytes(), parallel, perSlot, need, kv.keepRecent()));
                }
            }
            ChatTemplate template = ChatSetup.template(m, chatTemplate, err);
            String id = alias != null ? alias : modelName(path);
            ServerConfig config = new ServerConfig(host, port, id, parallel, queue, ctx, runtime.batchSize(), kv,
                    sampling.settings(m.generationDefaults(), spec.commandLine().getParseResult()), apiKey, ttl, cacheCap,
                    cacheDir, requestTimeout, (int) bodyLimit);
            LlmServer server;
            try {
                server = LlmServer.start(m, config, template, pool, Clock.systemUTC(), err);
            } catch (BindException e) {
                throw CliException.failure("cannot listen on " + host + ":" + port + ": " + e.getMessage());
            }
            CountDownLatch stop = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                server.close();
                stop.countDown();
            }, "llm4j-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            err.printf("llm4j serve: %s on http://%s:%d/v1 (%d slot%s, context %d%s%s)%n", id, host, server.port(), parallel,
                    parallel == 1 ? "" : "s", ctx, template == null ? ", no chat template: chat continues plain text" : "",
                    apiKey != null ? ", API key required" : "");
            err.flush();
            stop.await();
        }
        return 0;
    }

    /**
     * Fails with one line unless N slots (each a KV cache, at most its share of --kv-mem-cap, and activation
     * buffers) plus the prefix cache's cap fit the free heap: otherwise the server would start and fail later.
     */
    private void requireHeap(Model m, Path path, int ctx, int threads, KvSettings kv, long cacheCap) throws Exception {
        m.requireMemoryFor(ctx, Math.min(runtime.batchSize(), ctx), 1, threads); // one slot: the usual message
        SessionMemory one = SessionMemory.of(path, m.config(), ctx, Short.BYTES, Math.min(runtime.batchSize(), ctx), 1, threads);
        long kvPerSlot = kv.capped() ? Math.min(one.kvBytes(), kv.capBytes() / parallel) : one.kvBytes();
        long slots = parallel * (kvPerSlot + one.activationBytes());
        long free = SessionMemory.freeHeap();
        if (slots > free) {
            throw CliException.failure(String.format(Locale.ROOT, "%d slots need %d MiB of heap (KV cache and buffers) but %d MiB "
                    + "is free; lower --parallel or -c, set --kv-mem-cap, or raise -Xmx (LLM4J_JAVA_OPTS)", parallel, slots >> 20, free >> 20));
        }
        if (cacheCap > free - slots) {
            throw CliException.failure(String.format(Locale.ROOT, "--cache-mem-cap %d MiB does not fit the %d MiB of heap the slots "
                    + "leave free; lower it (0 disables the prefix cache) or raise -Xmx (LLM4J_JAVA_OPTS)", cacheCap >> 20,
                    (free - slots) >> 20));
        }
    }

    static String modelName(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static long size(String flag, String value) {
        try {
            return KvOptions.parseSize(value);
        } catch (CliException e) {
            throw CliException.usage(flag + ": '" + value + "' is not a size (e.g. 64M, 1.5G, 512K)");
        }
    }

    /** "90s", "30m", "1h", "2d", or plain seconds. */
    static Duration duration(String flag, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        long unit = 1000;
        if (v.endsWith("ms")) {
            unit = 1;
            v = v.substring(0, v.length() - 2);
        } else if (!v.isEmpty() && "smhd".indexOf(v.charAt(v.length() - 1)) >= 0) {
            unit = switch (v.charAt(v.length() - 1)) {
                case 's' -> 1000L;
                case 'm' -> 60_000L;
                case 'h' -> 3_600_000L;
                default -> 86_400_000L;
            };
            v = v.substring(0, v.length() - 1);
        }
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0) || Double.isInfinite(d) || v.contains("e") || v.contains("x")) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis((long) Math.ceil(d * unit));
        } catch (NumberFormatException e) {
            throw CliException.usage(flag + ": '" + value + "' is not a duration (e.g. 90s, 30m, 1h)");
        }
    }
}
