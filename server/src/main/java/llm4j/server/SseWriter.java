package llm4j.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

/**
 * Streams a job's events as Server-Sent Events in OpenAI's chunk format, ending with
 * {@code data: [DONE]}. A failed write means the client went away: the job is cancelled, which
 * frees its slot at the engine's next step.
 */
final class SseWriter {

    private final HttpExchange ex;
    private final ObjectMapper json;
    private final String id;
    private final long created;
    private final String model;
    private final boolean chat;
    private final boolean includeUsage;
    private final Metrics metrics;

    SseWriter(HttpExchange ex, ObjectMapper json, String id, long created, String model, boolean chat, boolean includeUsage,
              Metrics metrics) {
        this.ex = ex;
        this.json = json;
        this.id = id;
        this.created = created;
        this.model = model;
        this.chat = chat;
        this.includeUsage = includeUsage;
        this.metrics = metrics;
    }

    /** The next event, waiting at most a little past the request timeout (the engine enforces the timeout itself). */
    static Job.Event next(Job job, Duration timeout) {
        try {
            Job.Event e = job.events.poll(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
            if (e == null) {
                job.cancelled = true;
                return new Job.Failed(new ApiException(503, "server_error", null, "timeout", "the request timed out", 1));
            }
            return e;
        } catch (InterruptedException e) {
            job.cancelled = true;
            Thread.currentThread().interrupt();
            return new Job.Failed(ApiException.busy("the server is shutting down"));
        }
    }

    void run(Job job, Duration timeout) throws IOException {
        // the first event decides the status: a job refused before any text is a plain JSON error
        Job.Event first = next(job, timeout);
        if (first instanceof Job.Failed f) {
            throw f.error();
        }
        metrics.response(200);
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        try {
            if (chat) {
                write(out, chunk(new Api.ChatChunkChoice(0, new Api.Delta("assistant", ""), null, null)));
            }
            Job.Event e = first;
            while (true) {
                switch (e) {
                    case Job.Text t -> write(out, chunk(chat
                            ? new Api.ChatChunkChoice(0, new Api.Delta(null, t.text()), null, null)
                            : new Api.CompletionChoice(0, t.text(), null, null)));
                    case Job.Failed f -> {
                        write(out, LlmServer.errorBody(f.error()));
                        done(out);
                        return;
                    }
                    case Job.Done d -> {
                        write(out, chunk(chat
                                ? new Api.ChatChunkChoice(0, new Api.Delta(null, null), null, d.finishReason())
                                : new Api.CompletionChoice(0, "", null, d.finishReason())));
                        if (includeUsage) {
                            write(out, new Api.Completion(id, object(), created, model, List.of(),
                                    Api.Usage.of(d.promptTokens(), d.completionTokens(), d.cachedTokens())));
                        }
                        done(out);
                        return;
                    }
                }
                e = next(job, timeout);
            }
        } catch (IOException gone) {
            job.cancelled = true;
            throw gone;
        }
    }

    private String object() {
        return chat ? "chat.completion.chunk" : "text_completion";
    }

    private Api.Completion chunk(Object choice) {
        return new Api.Completion(id, object(), created, model, List.of(choice), null);
    }

    private void write(OutputStream out, Object event) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.UTF_8));
        out.write(json.writeValueAsBytes(event));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void done(OutputStream out) throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        out.close();
    }
}
