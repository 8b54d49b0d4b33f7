package llm4j.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request handed to the engine: its prompt tokens and settings, and the queue its events come
 * back on. The HTTP thread waits on {@link #events}; the engine thread is the only one producing.
 */
final class Job {

    /** What the engine reports back. */
    sealed interface Event permits Text, Done, Failed {
    }

    /** Generated text that is safe to show (stop strings held back until ruled out). */
    record Text(String text) implements Event {
    }

    /**
     * Generation ended.
     *
     * @param finishReason "stop" (end of text or a stop string) or "length" (max_tokens, full context, timeout)
     */
    record Done(String finishReason, int promptTokens, int completionTokens, int cachedTokens) implements Event {
    }

    /** Generation failed inside the server. */
    record Failed(ApiException error) implements Event {
    }

    final CompletionRequest request;
    final int[] prompt;
    final long deadlineNanos;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Set by the HTTP thread when the client went away; the engine frees the slot at its next step. */
    volatile boolean cancelled;

    Job(CompletionRequest request, int[] prompt, long deadlineNanos) {
        this.request = request;
        this.prompt = prompt;
        this.deadlineNanos = deadlineNanos;
    }

    void emit(Event e) {
        events.add(e);
    }
}
