package llm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.Model;
import llm4j.model.generate.Generator;
import llm4j.model.generate.Session;
import llm4j.model.kv.KvOverflow;
import llm4j.model.kv.KvSettings;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.Sampler;
import llm4j.model.sample.SamplerSettings;
import llm4j.model.tokenizer.Utf8StreamDecoder;
import llm4j.quant.kv.Q8_0Codec;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server on loopback with stories260K, called over java.net.http. */
class ServerTest {

    static Model model;
    static WorkerPool pool;
    static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        model = Model.load(SharedData.model("gguf/stories260K.gguf"));
        pool = new WorkerPool(1);
        server = new ServerFixture(model, pool, ServerFixture.config(2, 8, 1024, KvSettings.defaults(), null, 64 << 20, null));
    }

    @AfterAll
    static void stop() {
        server.close();
        pool.close();
        model.close();
    }

    static String body(String prompt, int maxTokens, String extra) throws Exception {
        return "{\"model\":\"stories260K\",\"prompt\":" + ServerFixture.JSON.writeValueAsString(prompt) + ",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0" + extra + "}";
    }

    /** Greedy text for {@code prompt} straight from the model API, as llm4j run produces it. */
    static String generatorText(String prompt, int maxTokens) {
        return generatorText(prompt, maxTokens, KvSettings.defaults());
    }

    static String generatorText(String prompt, int maxTokens, KvSettings kv) {
        int[] tokens = model.tokenizer().encode(prompt, true, true);
        Session session = model.newSession(model.newCache(1024, kv), pool, 64);
        StringBuilder out = new StringBuilder();
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        Generator.generate(session, tokens, maxTokens, new Sampler(SamplerSettings.greedy(), model.config().vocabSize()),
                model.tokenizer()::isEndOfGeneration, t -> {
                    out.append(decoder.feed(model.tokenizer().tokenBytes(t)));
                    return true;
                });
        return out.append(decoder.flush()).toString();
    }

    @Test
    void greedyCompletionMatchesTheGoldenAndTheGenerator() throws Exception {
        JsonNode golden = SharedData.jsonLines("golden/greedy/stories260K-greedy.jsonl").getFirst();
        String prompt = golden.get("prompt").asText();
        int n = golden.get("n_predict").asInt();
        HttpResponse<String> r = server.post("/v1/completions", body(prompt, n, ""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = ServerFixture.json(r);
        String text = j.at("/choices/0/text").asText();
        assertEquals(golden.get("generated_text").asText(), text);
        assertEquals(generatorText(prompt, n), text);
        assertEquals("length", j.at("/choices/0/finish_reason").asText());
        assertEquals("text_completion", j.get("object").asText());
        assertEquals(golden.get("prompt_ids").size(), j.at("/usage/prompt_tokens").asInt());
        assertEquals(n, j.at("/usage/completion_tokens").asInt());
        assertEquals(golden.get("prompt_ids").size() + n, j.at("/usage/total_tokens").asInt());
        assertEquals(0, j.at("/usage/prompt_tokens_details/cached_tokens").asInt());
    }

    /** The data: payloads of an SSE body, [DONE] included. */
    static List<String> events(String sse) {
        List<String> out = new ArrayList<>();
        for (String block : sse.split("\n\n")) {
            if (!block.isBlank()) {
                assertTrue(block.startsWith("data: "), block);
                out.add(block.substring(6));
            }
        }
        return out;
    }

    @Test
    void streamingCompletionSendsTheSameTextAsServerSentEvents() throws Exception {
        String prompt = "Lily and Tom went to the park";
        String whole = ServerFixture.json(server.post("/v1/completions", body(prompt, 24, ""))).at("/choices/0/text").asText();
        HttpResponse<String> r = server.post("/v1/completions", body(prompt, 24, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = events(r.body());
        assertEquals("[DONE]", events.getLast());
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode j = ServerFixture.JSON.readTree(e);
            if (j.get("choices").isEmpty()) {
                usage = j.get("usage");
                continue;
            }
            streamed.append(j.at("/choices/0/text").asText());
            if (!j.at("/choices/0/finish_reason").isNull()) {
                finish = j.at("/choices/0/finish_reason").asText();
            }
        }
        assertEquals(whole, streamed.toString());
        assertEquals("length", finish);
        assertEquals(24, usage.get("completion_tokens").asInt());
        assertTrue(events.size() > 5, "one event per token, not one blob");
    }

    @Test
    void chatWithoutATemplateContinuesTheJoinedContents() throws Exception {
        String chat = "{\"messages\":[{\"role\":\"system\",\"content\":\"Once upon\"},{\"role\":\"user\",\"content\":\" a time\"}],"
                + "\"max_tokens\":16,\"temperature\":0}";
        JsonNode j = ServerFixture.json(server.post("/v1/chat/completions", chat));
        assertEquals("chat.completion", j.get("object").asText());
        assertEquals("assistant", j.at("/choices/0/message/role").asText());
        assertEquals(generatorText("Once upon a time", 16), j.at("/choices/0/message/content").asText());
        String streamed = chat.replace("\"temperature\":0", "\"temperature\":0,\"stream\":true");
        StringBuilder text = new StringBuilder();
        List<String> events = events(server.post("/v1/chat/completions", streamed).body());
        assertEquals("assistant", ServerFixture.JSON.readTree(events.getFirst()).at("/choices/0/delta/role").asText());
        for (String e : events.subList(0, events.size() - 1)) {
            text.append(ServerFixture.JSON.readTree(e).at("/choices/0/delta/content").asText(""));
        }
        assertEquals(j.at("/choices/0/message/content").asText(), text.toString());
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() throws Exception {
        String full = generatorText("Once upon a time", 40);
        int at = full.indexOf("Lily");
        assertTrue(at > 0, full);
        JsonNode j = ServerFixture.json(server.post("/v1/completions", body("Once upon a time", 40, ",\"stop\":[\"Lily\"]")));
        assertEquals(full.substring(0, at), j.at("/choices/0/text").asText());
        assertEquals("stop", j.at("/choices/0/finish_reason").asText());
    }

    static void assertError(HttpResponse<String> r, int status, String param) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = ServerFixture.json(r).get("error");
        assertTrue(e.get("message").isTextual() && !e.get("message").asText().isEmpty(), r.body());
        assertTrue(e.has("type") && e.has("param") && e.has("code"), r.body());
        if (param != null) {
            assertEquals(param, e.get("param").asText());
        }
    }

    @Test
    void badInputGetsAnOpenAiErrorAndTheServerKeepsServing() throws Exception {
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\", "), 400, null);
        assertError(server.post("/v1/completions", "[1, 2]"), 400, null);
        assertError(server.post("/v1/completions", "{\"prompt\": 42}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -1}"), 400, "max_tokens");
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"ten\"}"), 400, "max_tokens");
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": \"hot\"}"), 400, "temperature");
        assertError(server.post("/v1/completions", "{\"prompt\": \"x\", \"stream\": 1}"), 400, "stream");
        assertError(server.post("/v1/chat/completions", "{\"messages\": []}"), 400, "messages");
        assertError(server.post("/v1/chat/completions", "{\"messages\": [{\"content\": \"hi\"}]}"), 400, "messages[0].role");
        assertError(server.post("/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404, "model");
        assertError(server.post("/v1/nothing", "{}"), 404, null);
        assertError(server.post("/v1/completions", "{\"prompt\": \"" + "a".repeat(10 << 20) + "\"}"), 413, null);
        assertError(server.post("/v1/completions", body("Once upon a time ".repeat(400), 4, "")), 400, "prompt");
        HttpResponse<String> ok = server.post("/v1/completions", body("Once upon a time", 8, ""));
        assertEquals(200, ok.statusCode());
        assertEquals(generatorText("Once upon a time", 8), ServerFixture.json(ok).at("/choices/0/text").asText());
        assertEquals("ok", ServerFixture.json(server.get("/health")).get("status").asText());
        assertEquals("stories260K", ServerFixture.json(server.get("/v1/models")).at("/data/0/id").asText());
        assertEquals(0, server.metric("llm4j_internal_errors_total"));
    }

    @Test
    void theSecondOfTwoRequestsSharingA500TokenPrefixReusesIt() throws Exception {
        String prefix = Files.readString(SharedData.file("golden/corpus.txt")).substring(0, 980);
        int prefixTokens = model.tokenizer().encode(prefix, true, true).length;
        assertTrue(prefixTokens >= 500, "prefix of " + prefixTokens + " tokens");
        JsonNode first = ServerFixture.json(server.post("/v1/completions", body(prefix + " Once there was a dog.", 4, "")));
        assertEquals(0, first.at("/usage/prompt_tokens_details/cached_tokens").asInt());
        JsonNode second = ServerFixture.json(server.post("/v1/completions", body(prefix + " Then a bird sang.", 4, "")));
        int cached = second.at("/usage/prompt_tokens_details/cached_tokens").asInt();
        assertTrue(cached >= 448 && cached < second.at("/usage/prompt_tokens").asInt(), "cached " + cached);
        // a restored prefix continues exactly as if it had been prefilled: the same greedy text
        String fresh = generatorText(prefix + " Then a bird sang.", 4);
        assertEquals(fresh, second.at("/choices/0/text").asText());
    }

    @Test
    void anApiKeyIsRequiredWhenSet() throws Exception {
        try (ServerFixture s = new ServerFixture(model, pool, ServerFixture.config(1, 2, 256, KvSettings.defaults(), "sekrit", 0, null))) {
            assertError(s.post("/v1/completions", body("Once", 2, "")), 401, null);
            assertError(s.post("/v1/completions", body("Once", 2, ""), "Authorization", "Bearer wrong"), 401, null);
            assertError(s.get("/v1/models"), 401, null);
            assertEquals(200, s.post("/v1/completions", body("Once", 2, ""), "Authorization", "Bearer sekrit").statusCode());
            assertEquals(200, s.get("/health").statusCode(), "health checks need no key");
        }
    }

    @Test
    void aFullQueueGets503AndAClientThatGoesAwayFreesItsSlot() throws Exception {
        try (ServerFixture s = new ServerFixture(model, pool, ServerFixture.config(1, 0, 2048, KvSettings.defaults(), null, 0, null))) {
            HttpRequest longStream = HttpRequest.newBuilder(URI.create(s.base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body("Once upon a time", 2000, ",\"stream\":true"))).build();
            HttpResponse<InputStream> streaming = ServerFixture.CLIENT.send(longStream, HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = streaming.body();
            assertTrue(in.read(new byte[64]) > 0, "the stream started");
            HttpResponse<String> refused = s.post("/v1/completions", body("Once", 2, ""));
            assertError(refused, 503, null);
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            in.close(); // the client goes away mid-stream
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.metric("llm4j_slots_busy") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, s.metric("llm4j_slots_busy"));
            assertEquals(1, s.metric("llm4j_requests_cancelled_total"));
            assertEquals(200, s.post("/v1/completions", body("Once", 2, "")).statusCode());
        }
    }

    @Test
    void aRequestPastItsTimeoutGets503() throws Exception {
        ServerConfig c = ServerFixture.config(1, 2, 256, KvSettings.defaults(), null, 0, null);
        ServerConfig expiring = new ServerConfig(c.host(), c.port(), c.modelId(), c.parallel(), c.queue(), c.context(), c.batch(),
                c.kv(), c.sampling(), c.apiKey(), c.cacheTtl(), c.cacheMemCap(), c.cacheDir(), java.time.Duration.ofNanos(1),
                c.maxBodyBytes());
        try (ServerFixture s = new ServerFixture(model, pool, expiring)) {
            HttpResponse<String> r = s.post("/v1/completions", body("Once upon a time", 8, ""));
            assertError(r, 503, null);
            assertEquals("timeout", ServerFixture.json(r).at("/error/code").asText());
            assertEquals(1, s.metric("llm4j_requests_timed_out_total"));
        }
    }

    @Test
    void aSlotsShareOfTheKvCapLimitsPromptsAndReplies() throws Exception {
        KvSettings kv = KvSettings.defaults().withCap(2 * 64 * 1024, KvOverflow.ERROR).withKeepRecent(32);
        try (ServerFixture s = new ServerFixture(model, pool, ServerFixture.config(2, 2, 2048, kv, null, 0, null))) {
            String longPrompt = Files.readString(SharedData.file("golden/corpus.txt")).substring(0, 1400);
            HttpResponse<String> refused = s.post("/v1/completions", body(longPrompt, 4, ""));
            assertError(refused, 400, "prompt");
            JsonNode j = ServerFixture.json(s.post("/v1/completions", body("Once upon a time", 1500, ",\"temperature\":0.8,\"seed\":3")));
            assertEquals("length", j.at("/choices/0/finish_reason").asText(), j.toString());
            int generated = j.at("/usage/completion_tokens").asInt();
            assertTrue(generated > 32 && generated < 1500, generated + " tokens");
            assertTrue(s.server.metrics().kvPeakBytes() <= 2 * 64 * 1024);
            assertEquals(0, s.metric("llm4j_internal_errors_total"));
        }
    }

    @Test
    void thirtyTwoClientsTimesEightRequestsAllCompleteOrGet503UnderTheKvCap() throws Exception {
        long cap = 4 * 96 * 1024;
        KvSettings kv = KvSettings.defaults().withCap(cap, KvOverflow.ERROR).withKeepRecent(64);
        try (ServerFixture s = new ServerFixture(model, pool, ServerFixture.config(4, 8, 256, kv, null, 1 << 20, null))) {
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<int[]>> results = new ArrayList<>();
            for (int c = 0; c < 32; c++) {
                int client = c;
                results.add(clients.submit(() -> {
                    int[] counts = new int[2];
                    for (int r = 0; r < 8; r++) {
                        String prompt = "Once upon a time " + "there was a cat ".repeat(client % 5) + r;
                        HttpResponse<String> resp = s.post("/v1/completions", body(prompt, 4, ""));
                        if (resp.statusCode() == 200) {
                            assertEquals(4, ServerFixture.json(resp).at("/usage/completion_tokens").asInt());
                            counts[0]++;
                        } else {
                            assertError(resp, 503, null);
                            counts[1]++;
                        }
                    }
                    return counts;
                }));
            }
            int ok = 0;
            int busy = 0;
            for (Future<int[]> f : results) {
                int[] counts = f.get(120, TimeUnit.SECONDS);
                ok += counts[0];
                busy += counts[1];
            }
            clients.shutdown();
            assertEquals(256, ok + busy);
            assertTrue(ok >= 32, ok + " completed");
            assertEquals(0, s.metric("llm4j_internal_errors_total"), s.log.toString());
            assertTrue(s.server.metrics().kvPeakBytes() <= cap, s.server.metrics().kvPeakBytes() + " > " + cap);
            assertTrue(s.server.metrics().kvPeakBytes() > 0);
            assertEquals(0, s.metric("llm4j_slots_busy"));
            assertEquals(0, s.metric("llm4j_queue_depth"));
            assertFalse(s.log.toString().contains("error"), s.log.toString());
        }
    }

    @Test
    void cacheDirEntriesComeBackAfterARestart(@TempDir Path dir) throws Exception {
        String prefix = Files.readString(SharedData.file("golden/corpus.txt")).substring(2000, 2600);
        // q8_0 keys are smoothed: the calibration travels with the entry through the prompt-cache file
        KvSettings kv = KvSettings.of(Q8_0Codec.INSTANCE, Q8_0Codec.INSTANCE);
        ServerConfig config = ServerFixture.config(1, 2, 1024, kv, null, 16 << 20, dir);
        try (ServerFixture s = new ServerFixture(model, pool, config)) {
            assertEquals(200, s.post("/v1/completions", body(prefix + " The end.", 2, "")).statusCode());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".kvc")), "an entry was written");
        }
        try (ServerFixture s = new ServerFixture(model, pool, config)) {
            assertEquals(1, s.server.prefixCache().entries(), s.log.toString());
            JsonNode j = ServerFixture.json(s.post("/v1/completions", body(prefix + " A new day.", 8, "")));
            assertTrue(j.at("/usage/prompt_tokens_details/cached_tokens").asInt() >= PrefixCache.BLOCK, j.toString());
            assertEquals(generatorText(prefix + " A new day.", 8, kv), j.at("/choices/0/text").asText());
        }
    }
}
