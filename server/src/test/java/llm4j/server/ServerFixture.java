package llm4j.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.model.kv.KvSettings;
import llm4j.model.Model;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.SamplerSettings;

/** A real server on a free loopback port over a loaded model, and a java.net.http client for it. */
final class ServerFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final LlmServer server;
    final StringWriter log = new StringWriter();
    final String base;

    ServerFixture(Model model, WorkerPool pool, ServerConfig config) throws Exception {
        server = LlmServer.start(model, config, null, pool, Clock.systemUTC(), new PrintWriter(log, true));
        base = "http://127.0.0.1:" + server.port();
    }

    /** Loopback, port 0, the stories model's name, greedy defaults, 1h TTL. */
    static ServerConfig config(int parallel, int queue, int context, KvSettings kv, String apiKey, long cacheCap, Path cacheDir) {
        return new ServerConfig("127.0.0.1", 0, "stories260K", parallel, queue, context, 64, kv, SamplerSettings.greedy(),
                apiKey, Duration.ofHours(1), cacheCap, cacheDir, Duration.ofSeconds(60), ServerConfig.DEFAULT_MAX_BODY);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** One value from the Prometheus text of /metrics. */
    double metric(String name) throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    @Override
    public void close() {
        server.close();
    }
}
