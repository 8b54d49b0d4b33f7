package llm4j.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import llm4j.model.Model;
import llm4j.model.chat.ChatMessage;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.chat.ChatTemplateException;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.tokenizer.Tokenizer;

/**
 * {@code llm4j serve}: the OpenAI-compatible HTTP API over one loaded model. The JDK's HTTP server
 * parses HTTP and hands each exchange to a virtual thread, which validates the body, tokenizes the
 * prompt, queues a {@link Job} with the {@link Engine} and writes what comes back (one JSON body,
 * or Server-Sent Events). Generation itself only ever runs on the engine thread.
 */
public final class LlmServer implements AutoCloseable {

    /** Bodies larger than this are not even drained before the 413: the connection is dropped. */
    private static final long MAX_DRAIN = 64L << 20;

    private final Model model;
    private final ServerConfig config;
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer http;
    private final ExecutorService executor;
    private final Engine engine;
    private final PrefixCache cache;
    private final CacheStore store;
    private final Metrics metrics;
    private final PrintWriter log;
    private final long created = System.currentTimeMillis() / 1000;

    private LlmServer(Model model, ServerConfig config, ChatTemplate template, WorkerPool pool, Clock clock, PrintWriter log)
            throws IOException {
        this.model = model;
        this.config = config;
        this.template = template;
        this.tokenizer = model.tokenizer();
        this.log = log;
        this.store = config.cacheDir() == null ? null : new CacheStore(config.cacheDir(), model, config, log);
        this.cache = new PrefixCache(config.cacheMemCap(), config.cacheTtl(), clock, store);
        this.metrics = new Metrics(config.parallel(), config.kv().capBytes(), cache);
        if (store != null) {
            store.loadInto(cache);
        }
        this.engine = new Engine(model, config, pool, cache, metrics, log);
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * Binds and starts serving. {@code template} null: chat requests are plain continuation of the
     * messages' contents joined (models without a chat template, such as stories260K).
     */
    public static LlmServer start(Model model, ServerConfig config, ChatTemplate template, WorkerPool pool, Clock clock,
                                  PrintWriter log) throws IOException {
        LlmServer s = new LlmServer(model, config, template, pool, clock, log);
        s.engine.start();
        s.http.start();
        return s;
    }

    /** The port bound (the real one when the config asked for port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    public Metrics metrics() {
        return metrics;
    }

    public PrefixCache prefixCache() {
        return cache;
    }

    @Override
    public void close() {
        http.stop(0);
        engine.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (store != null) {
            store.close();
        }
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (ApiException e) {
                sendError(ex, e);
            } catch (IOException e) {
                // the client went away while we answered: nothing left to tell it
            } catch (RuntimeException e) {
                metrics.internalErrors.incrementAndGet();
                log.println("llm4j serve: internal error on " + ex.getRequestURI().getPath() + ": " + e);
                log.flush();
                sendError(ex, new ApiException(500, "server_error", null, "internal_error", "internal error", null));
            }
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        switch (path) {
            case "/health" -> {
                requireMethod(method, "GET");
                sendJson(ex, 200, java.util.Map.of("status", "ok"));
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                authorize(ex);
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render().getBytes(StandardCharsets.UTF_8));
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                authorize(ex);
                sendJson(ex, 200, new Api.ModelList("list", List.of(new Api.ModelCard(config.modelId(), "model", created, "llm4j"))));
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST");
                authorize(ex);
                complete(ex, false);
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                authorize(ex);
                complete(ex, true);
            }
            default -> throw ApiException.notFound(null, "not_found", "no such endpoint: " + method + " " + path);
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use " + expected, null);
        }
    }

    private void authorize(HttpExchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !java.security.MessageDigest.isEqual(("Bearer " + config.apiKey()).getBytes(StandardCharsets.UTF_8),
                auth.strip().getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.unauthorized();
        }
    }

    // ---------------------------------------------------------------- completions

    private void complete(HttpExchange ex, boolean chat) throws IOException {
        JsonNode body = readJson(ex);
        CompletionRequest req = RequestParser.parse(body, chat, config.sampling(), config.modelId());
        int[] prompt = tokens(req);
        long deadline = System.nanoTime() + config.timeout().toNanos();
        Job job = new Job(req, prompt, deadline);
        engine.submit(job);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        long now = System.currentTimeMillis() / 1000;
        if (req.stream()) {
            new SseWriter(ex, json, id, now, config.modelId(), chat, req.includeUsage(), metrics).run(job, config.timeout());
        } else {
            respondWhole(ex, job, id, now, chat);
        }
    }

    private int[] tokens(CompletionRequest req) {
        String text;
        if (req.chat()) {
            if (template == null) {
                StringBuilder b = new StringBuilder();
                for (ChatMessage m : req.messages()) {
                    b.append(m.content());
                }
                text = b.toString();
            } else {
                try {
                    text = template.prompt(req.messages(), tokenizer);
                } catch (ChatTemplateException e) {
                    throw ApiException.badRequest("messages", "the chat template cannot render these messages: " + e.getMessage());
                }
            }
        } else {
            text = req.prompt();
        }
        int[] tokens = tokenizer.encode(text, true, true);
        String param = req.chat() ? "messages" : "prompt";
        if (tokens.length == 0) {
            throw ApiException.badRequest(param, "the prompt is empty and the model has no BOS token to start from");
        }
        if (tokens.length >= config.context()) {
            throw new ApiException(400, "invalid_request_error", param, "context_length_exceeded", "the prompt is "
                    + tokens.length + " tokens but the context holds " + config.context(), null);
        }
        long needed = engine.minimumBytes(tokens.length);
        if (needed > engine.slotCapBytes()) {
            throw new ApiException(400, "invalid_request_error", param, "context_length_exceeded", "the prompt is "
                    + tokens.length + " tokens, which need " + needed + " bytes of KV cache even at the lowest rung; each of the "
                    + config.parallel() + " slots has " + engine.slotCapBytes() + " bytes of --kv-mem-cap", null);
        }
        return tokens;
    }

    private void respondWhole(HttpExchange ex, Job job, String id, long now, boolean chat) throws IOException {
        StringBuilder text = new StringBuilder();
        Job.Done done;
        while (true) {
            Job.Event e = SseWriter.next(job, config.timeout());
            if (e instanceof Job.Text t) {
                text.append(t.text());
            } else if (e instanceof Job.Failed f) {
                throw f.error();
            } else {
                done = (Job.Done) e;
                break;
            }
        }
        Api.Usage usage = Api.Usage.of(done.promptTokens(), done.completionTokens(), done.cachedTokens());
        Object choice = chat
                ? new Api.ChatChoice(0, new Api.Message("assistant", text.toString()), null, done.finishReason())
                : new Api.CompletionChoice(0, text.toString(), null, done.finishReason());
        sendJson(ex, 200, new Api.Completion(id, chat ? "chat.completion" : "text_completion", now, config.modelId(),
                List.of(choice), usage));
    }

    // ---------------------------------------------------------------- bodies

    private JsonNode readJson(HttpExchange ex) throws IOException {
        int limit = config.maxBodyBytes();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > limit) {
                    drain(ex.getRequestBody());
                    throw ApiException.tooLarge(limit);
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(null, "bad Content-Length");
            }
        }
        InputStream in = ex.getRequestBody();
        byte[] body = in.readNBytes(limit + 1);
        if (body.length > limit) {
            drain(in);
            throw ApiException.tooLarge(limit);
        }
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    /** Reads and drops the rest of a refused body (up to a bound) so the client gets to read the 413. */
    private static void drain(InputStream in) throws IOException {
        long skipped = 0;
        byte[] buf = new byte[1 << 16];
        int n;
        while (skipped < MAX_DRAIN && (n = in.read(buf)) >= 0) {
            skipped += n;
        }
    }

    private void sendError(HttpExchange ex, ApiException e) {
        try {
            if (e.retryAfterSeconds() != null) {
                ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds()));
            }
            sendJson(ex, e.status(), errorBody(e));
        } catch (IOException | RuntimeException ignored) {
            // headers already sent (a stream that failed midway) or the client is gone
        }
    }

    static Api.ErrorBody errorBody(ApiException e) {
        return new Api.ErrorBody(new Api.Error(e.getMessage(), e.type(), e.param(), e.code()));
    }

    private void sendJson(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json", json.writeValueAsBytes(value));
    }

    private void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
        metrics.response(status);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
