package llm4j.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters and gauges for {@code GET /metrics}, in Prometheus' text format. The engine thread
 * writes the slot and KV gauges; HTTP threads count requests.
 */
public final class Metrics {

    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong prefilledTokens = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
    final AtomicLong generateNanos = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong internalErrors = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    volatile int slotsBusy;
    volatile int queueDepth;
    volatile long kvBytes;
    volatile long kvPeakBytes;
    volatile double lastTokensPerSecond;
    private final Map<Integer, AtomicLong> responses = new ConcurrentHashMap<>();
    private final int slots;
    private final long kvCap;
    private final PrefixCache cache;

    Metrics(int slots, long kvCap, PrefixCache cache) {
        this.slots = slots;
        this.kvCap = kvCap;
        this.cache = cache;
    }

    void response(int status) {
        responses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    /** Sum over slots of each cache's peak bytes: at least the true peak of the total, and never above the cap. */
    public long kvPeakBytes() {
        return kvPeakBytes;
    }

    public long kvCapBytes() {
        return kvCap;
    }

    public long internalErrors() {
        return internalErrors.get();
    }

    public long responses(int status) {
        AtomicLong n = responses.get(status);
        return n == null ? 0 : n.get();
    }

    String render() {
        StringBuilder b = new StringBuilder();
        counter(b, "llm4j_prefix_cache_hits_total", "Requests that reused a cached prefix.", cache.hits());
        counter(b, "llm4j_prefix_cache_misses_total", "Requests that found no cached prefix.", cache.misses());
        counter(b, "llm4j_prefix_cache_cached_tokens_total", "Prompt tokens restored from the prefix cache instead of prefilled.", cache.cachedTokens());
        counter(b, "llm4j_prefix_cache_evictions_total", "Entries evicted (least recently used) under --cache-mem-cap.", cache.evictions());
        counter(b, "llm4j_prefix_cache_expirations_total", "Entries dropped after --cache-ttl unused.", cache.expirations());
        gauge(b, "llm4j_prefix_cache_entries", "Entries in the prefix cache.", cache.entries());
        gauge(b, "llm4j_prefix_cache_bytes", "Bytes the prefix cache holds.", cache.bytes());
        gauge(b, "llm4j_prefix_cache_cap_bytes", "The prefix cache's cap (--cache-mem-cap).", cache.capBytes());
        gauge(b, "llm4j_slots_total", "Sequences decoded at once (--parallel).", slots);
        gauge(b, "llm4j_slots_busy", "Slots with a request.", slotsBusy);
        gauge(b, "llm4j_queue_depth", "Requests waiting for a slot.", queueDepth);
        gauge(b, "llm4j_kv_bytes", "Bytes held by the slots' KV caches.", kvBytes);
        gauge(b, "llm4j_kv_peak_bytes", "Sum of the slots' peak KV bytes (an upper bound of the peak total).", kvPeakBytes);
        gauge(b, "llm4j_kv_cap_bytes", "The global KV cap (--kv-mem-cap), 0 for none.", kvCap);
        counter(b, "llm4j_prompt_tokens_total", "Prompt tokens of finished requests.", promptTokens.get());
        counter(b, "llm4j_prefill_tokens_total", "Prompt tokens evaluated (not restored from the prefix cache).", prefilledTokens.get());
        counter(b, "llm4j_generated_tokens_total", "Tokens generated.", generatedTokens.get());
        long nanos = generateNanos.get();
        gauge(b, "llm4j_generation_tokens_per_second", "Tokens generated per second of engine time, over all requests.",
                nanos == 0 ? 0 : generatedTokens.get() * 1e9 / nanos);
        counter(b, "llm4j_requests_cancelled_total", "Generations stopped because the client went away.", cancelled.get());
        counter(b, "llm4j_requests_timed_out_total", "Generations stopped by the request timeout.", timeouts.get());
        counter(b, "llm4j_requests_rejected_total", "Requests refused with 503 because the queue was full.", rejected.get());
        counter(b, "llm4j_internal_errors_total", "Requests that failed inside the server (500).", internalErrors.get());
        b.append("# HELP llm4j_http_responses_total HTTP responses by status.\n# TYPE llm4j_http_responses_total counter\n");
        new TreeMap<>(responses).forEach((status, n) ->
                b.append("llm4j_http_responses_total{code=\"").append(status).append("\"} ").append(n.get()).append('\n'));
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, double value) {
        metric(b, name, help, "counter", value);
    }

    private static void gauge(StringBuilder b, String name, String help, double value) {
        metric(b, name, help, "gauge", value);
    }

    private static void metric(StringBuilder b, String name, String help, String type, double value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value) : String.format(Locale.ROOT, "%.3f", value)).append('\n');
    }
}
