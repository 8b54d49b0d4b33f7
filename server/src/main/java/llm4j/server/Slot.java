package llm4j.server;

import java.util.Arrays;

import llm4j.model.Model;
import llm4j.model.generate.Session;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.KvSnapshot;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.Sampler;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Utf8StreamDecoder;

/**
 * One sequence the engine decodes: its own KV cache and session (activation buffers), and the job
 * it is working on. Only the engine thread touches a slot. A step is one unit of work: a batch of
 * prompt tokens, or one generated token; the engine interleaves the slots' steps.
 */
final class Slot {

    private final Tokenizer tokenizer;
    private final PagedKvCache kv;
    private final Session session;
    private final int batch;
    private final int vocab;
    private final PrefixCache cache;
    private final Metrics metrics;

    private Job job;
    private Sampler sampler;
    private Utf8StreamDecoder decoder;
    private StopMatcher stops;
    private int fed;
    private int cached;
    private int[] generated = new int[16];
    private int generatedCount;
    private long decodeStartNanos;

    Slot(Model model, PagedKvCache kv, WorkerPool pool, int batch, PrefixCache cache, Metrics metrics) {
        this.tokenizer = model.tokenizer();
        this.kv = kv;
        this.session = model.newSession(kv, pool, batch);
        this.batch = Math.max(1, batch);
        this.vocab = model.config().vocabSize();
        this.cache = cache;
        this.metrics = metrics;
    }

    boolean busy() {
        return job != null;
    }

    PagedKvCache kv() {
        return kv;
    }

    /** Takes {@code j}: restores the longest cached prefix of its prompt; the rest is prefilled by later steps. */
    void start(Job j) {
        job = j;
        sampler = new Sampler(j.request.sampling(), vocab);
        for (int t : j.prompt) {
            sampler.accept(t);
        }
        decoder = new Utf8StreamDecoder();
        stops = new StopMatcher(j.request.stop());
        generatedCount = 0;
        cached = 0;
        session.reset();
        kv.clear();
        if (cache.enabled()) {
            PrefixCache.Hit hit = cache.lookup(j.prompt);
            if (hit != null) {
                cached = hit.entry().snapshot().restoreInto(kv, hit.tokens());
                cache.restored(cached);
            }
        }
        session.resumeAt(cached);
        fed = cached;
    }

    /** One unit of work; false once the job is finished (the slot is free again). */
    boolean step() {
        if (job.cancelled) {
            metrics.cancelled.incrementAndGet();
            finish(null);
            return false;
        }
        if (System.nanoTime() - job.deadlineNanos > 0) {
            metrics.timeouts.incrementAndGet();
            finish("length");
            return false;
        }
        if (fed < job.prompt.length) {
            int n = Math.min(batch, job.prompt.length - fed);
            session.feed(job.prompt, fed, n);
            fed += n;
            metrics.prefilledTokens.addAndGet(n);
            decodeStartNanos = System.nanoTime();
            return true;
        }
        int max = job.request.maxTokens();
        if (max >= 0 && generatedCount >= max) {
            finish("length");
            return false;
        }
        long t0 = System.nanoTime();
        try {
            int next = sampler.sample(session.logits(), 0, vocab);
            sampler.accept(next);
            if (tokenizer.isEndOfGeneration(next)) {
                finish("stop");
                return false;
            }
            if (generatedCount == generated.length) {
                generated = Arrays.copyOf(generated, generatedCount * 2);
            }
            generated[generatedCount++] = next;
            String text = stops.feed(decoder.feed(tokenizer.tokenBytes(next)));
            if (!text.isEmpty()) {
                job.emit(new Job.Text(text));
            }
            if (stops.stopped()) {
                finish("stop");
                return false;
            }
            if (max >= 0 && generatedCount >= max
                    || session.position() >= session.capacity() && !kv.shiftsContext()) {
                finish("length");
                return false;
            }
            try {
                session.feed(next);
            } catch (KvCapacityException full) {
                // the slot's share of --kv-mem-cap is exhausted mid-reply: end it like a full context
                finish("length");
                return false;
            }
            return true;
        } finally {
            metrics.generateNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /**
     * Ends the job ({@code reason} null: cancelled, nobody listens), keeps its KV state in the prefix
     * cache, and frees the cache's memory.
     */
    void finish(String reason) {
        Job j = job;
        if (reason != null) {
            String tail = stops.feed(decoder.flush()) + stops.flush();
            if (!tail.isEmpty()) {
                j.emit(new Job.Text(tail));
            }
        }
        metrics.promptTokens.addAndGet(j.prompt.length);
        metrics.generatedTokens.addAndGet(generatedCount);
        keepPrefix();
        if (reason != null) {
            j.emit(new Job.Done(reason, j.prompt.length, generatedCount, cached));
        }
        release();
    }

    /** Ends the job with an error and frees the slot. */
    void fail(ApiException e) {
        Job j = job;
        release();
        j.emit(new Job.Failed(e));
    }

    private void release() {
        job = null;
        sampler = null;
        session.reset();
        kv.clear();
    }

    /** The tokens the cache holds (prompt, then every generated token fed back) as a prefix-cache entry. */
    private void keepPrefix() {
        int held = Math.min(session.position(), fed + generatedCount);
        if (!cache.enabled() || held < PrefixCache.BLOCK || kv.positionsHeld() != held) {
            return;
        }
        KvSnapshot snap = KvSnapshot.capture(kv, held);
        if (snap == null) {
            return;
        }
        int[] tokens = new int[held];
        int fromPrompt = Math.min(held, job.prompt.length);
        System.arraycopy(job.prompt, 0, tokens, 0, fromPrompt);
        System.arraycopy(generated, 0, tokens, fromPrompt, held - fromPrompt);
        cache.insert(tokens, snap);
    }
}
