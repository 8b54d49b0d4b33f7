package llm4j.model.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split index ranges with the calling thread. Workers spin
 * briefly between tasks (a token's matrix products follow each other within microseconds) and park
 * when idle, so an idle pool costs nothing. No allocation per task.
 */
public final class WorkerPool implements AutoCloseable {

    /** Spin iterations before a worker parks; enough to bridge the gap between two layers' products. */
    private static final int SPINS_BEFORE_PARK = 1 << 16;

    private final int threads;
    private final Thread[] workers;
    private final AtomicLong epoch = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile RangeTask task;
    private volatile int size;
    private volatile boolean closed;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int chunk = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("llm4j-worker-" + chunk).unstarted(() -> work(chunk));
            workers[i].start();
        }
    }

    /** Physical cores are not visible to Java; on SMT machines this over-counts, so -t stays available. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)} split into one contiguous chunk per thread; returns when all are done. */
    public void parallelFor(int n, RangeTask task) {
        if (threads == 1 || n < threads) {
            task.run(0, n, 0);
            return;
        }
        this.task = task;
        this.size = n;
        this.failure = null;
        pending.set(workers.length);
        epoch.incrementAndGet();
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        try {
            task.run(0, chunkEnd(n, 0), 0);
        } finally {
            while (pending.get() != 0) {
                Thread.onSpinWait();
            }
            this.task = null;
        }
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

    private int chunkEnd(int n, int chunk) {
        return (int) ((long) n * (chunk + 1) / threads);
    }

    private void work(int chunk) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long current;
            while ((current = epoch.get()) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = current;
            int n = size;
            try {
                task.run(chunkEnd(n, chunk - 1), chunkEnd(n, chunk), chunk);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
