package llm4j.model.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that share index ranges with the calling thread. A range is cut into
 * a few chunks per thread that participants claim from a shared cursor, so a worker the OS has not
 * scheduled yet never holds up the caller: whoever is running takes the next chunk. Workers spin
 * briefly between tasks (a token's products follow each other within microseconds), then park.
 * Nothing is allocated per task.
 */
public final class WorkerPool implements AutoCloseable {

    /** Spin iterations before an idle worker parks. */
    private static final int SPINS_BEFORE_PARK = 1 << 14;
    /** Chunks per thread: enough to even out uneven progress, few enough to keep claims cheap. */
    public static final int CHUNKS_PER_THREAD = 4;
    private static final long EXHAUSTED = Integer.MAX_VALUE;

    private final int threads;
    private final Thread[] workers;
    /** High 32 bits: the task's epoch; low 32 bits: the next unclaimed chunk. */
    private final AtomicLong cursor = new AtomicLong();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile RangeTask task;
    private volatile int size;
    private volatile int chunks;
    private volatile boolean closed;
    private volatile Throwable failure;
    private int epoch;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("llm4j-worker-" + id).unstarted(() -> work(id));
            workers[i].start();
        }
    }

    /** Java cannot see physical cores; this is the logical count, so -t stays available to override it. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)} in contiguous chunks and returns when all are done. The
     * {@code worker} argument a chunk receives identifies the running thread (0 = the caller).
     */
    public void parallelFor(int n, RangeTask task) {
        parallelFor(n, task, CHUNKS_PER_THREAD);
    }

    /**
     * As {@link #parallelFor(int, RangeTask)} in {@code chunksPerThread} chunks per thread: fewer for work so short
     * that claiming and finishing chunks is a measurable part of it.
     */
    public void parallelFor(int n, RangeTask task, int chunksPerThread) {
        if (threads == 1 || n < 2) {
            task.run(0, n, 0);
            return;
        }
        int count = Math.min(n, threads * chunksPerThread);
        this.task = task;
        this.size = n;
        this.chunks = count;
        this.failure = null;
        finished.set(0);
        long base = (long) ++epoch << 32;
        cursor.set(base);
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runChunks(base, task, n, count, 0);
        while (finished.get() < count) {
            Thread.onSpinWait();
        }
        // mark this epoch exhausted for any chunk count, so a worker that reads the next task's
        // parameters under this epoch can never claim with them
        cursor.set(base | EXHAUSTED);
        this.task = null;
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /** Claims and runs chunks of the task published under {@code base} until none are left. */
    private void runChunks(long base, RangeTask task, int n, int count, int worker) {
        while (true) {
            long c = cursor.get();
            if ((c & 0xFFFFFFFF_00000000L) != base) {
                return; // a newer task replaced ours: every chunk of ours was claimed
            }
            int chunk = (int) c;
            if (chunk >= count) {
                return;
            }
            if (!cursor.compareAndSet(c, c + 1)) {
                continue;
            }
            try {
                task.run((int) ((long) n * chunk / count), (int) ((long) n * (chunk + 1) / count), worker);
            } catch (Throwable t) {
                failure = t;
            } finally {
                finished.incrementAndGet();
            }
        }
    }

    private void work(int id) {
        long seen = 0;
        while (!closed) {
            long base = cursor.get() & 0xFFFFFFFF_00000000L;
            if (base == seen) {
                idle(seen);
                continue;
            }
            seen = base;
            // read after the epoch: if the caller has moved on, every chunk of these values is
            // claimed already and runChunks returns without running anything
            RangeTask t = task;
            int n = size;
            int count = chunks;
            if (t != null) {
                runChunks(base, t, n, count, id);
            }
        }
    }

    private void idle(long seen) {
        for (int spins = 0; spins < SPINS_BEFORE_PARK; spins++) {
            if ((cursor.get() & 0xFFFFFFFF_00000000L) != seen || closed) {
                return;
            }
            Thread.onSpinWait();
        }
        LockSupport.park(this);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
