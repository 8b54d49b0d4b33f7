package llm4j.model.bench;

import java.util.SplittableRandom;

import llm4j.model.Model;
import llm4j.model.generate.Session;
import llm4j.model.kv.KvCache;
import llm4j.model.parallel.WorkerPool;

/**
 * Times llama-bench's tests on a model with forward calls only: no tokenizer, no sampler. Token ids are
 * random (speed does not depend on them). A test with a depth first fills that many positions, once and
 * untimed; every run then rewinds the cache to the depth, so each run sees the same context. Untimed
 * warm-up runs precede the timed repetitions: llama-bench does one; a JVM keeps compiling the hot loops through
 * the first two or three (135M Q8_0 pp512 at -t 2 after one warm-up: 380, 297, then 401-420 t/s; after two:
 * 314, then 402-414; after three: 399-432), so the CLI does three.
 */
public final class BenchRunner {

    private final Model model;
    private final SplittableRandom random;

    public BenchRunner(Model model, long seed) {
        this.model = model;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Runs {@code test} once to warm up, then {@code repetitions} times, on a cache of at least
     * {@link BenchTest#positions()} positions, feeding prompts {@code batch} tokens per forward call;
     * returns each timed run's nanoseconds.
     */
    public long[] run(BenchTest test, KvCache kv, WorkerPool pool, int batch, int repetitions) {
        return run(test, kv, pool, batch, 1, repetitions);
    }

    /** As {@link #run(BenchTest, KvCache, WorkerPool, int, int)} after {@code warmups} untimed runs. */
    public long[] run(BenchTest test, KvCache kv, WorkerPool pool, int batch, int warmups, int repetitions) {
        if (warmups < 0) {
            throw new IllegalArgumentException("warm-up runs must not be negative, not " + warmups);
        }
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, not " + repetitions);
        }
        if (test.positions() > kv.capacity()) {
            throw new IllegalArgumentException(test.name() + " needs " + test.positions() + " positions, the cache holds " + kv.capacity());
        }
        Session session = model.newSession(kv, pool, batch);
        if (test.depth() > 0) {
            session.feed(randomTokens(test.depth()), 0, test.depth());
        }
        int[] tokens = randomTokens(test.tokens());
        long[] nanos = new long[repetitions];
        for (int r = -warmups; r < repetitions; r++) {
            session.resumeAt(test.depth()); // the next forward call forgets what the previous run stored past the depth
            long t0 = System.nanoTime();
            if (test.kind() == BenchTest.Kind.PP) {
                session.feed(tokens, 0, tokens.length);
            } else {
                for (int token : tokens) {
                    session.feed(token);
                }
            }
            long elapsed = System.nanoTime() - t0;
            if (r >= 0) {
                nanos[r] = elapsed;
            }
        }
        return nanos;
    }

    private int[] randomTokens(int n) {
        int vocab = model.config().vocabSize();
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(vocab);
        }
        return tokens;
    }
}
