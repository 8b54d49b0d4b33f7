package llm4j.server;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import llm4j.model.Model;
import llm4j.model.generate.ContextFullException;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.KvOverflow;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;

/**
 * The one thread that runs the model. A forward pass is not thread-safe per session, and the worker
 * pool serves one caller at a time, so rather than locking around them every slot is driven from
 * here: each round gives every busy slot one step (a prompt batch or one token), round-robin, so
 * a long prompt delays the others by one batch at a time and every stream keeps moving. Requests
 * wait in a bounded queue for a free slot; beyond it they are refused (503, Retry-After).
 */
final class Engine implements AutoCloseable {

    private final Slot[] slots;
    private final int queueLimit;
    private final Metrics metrics;
    private final PrefixCache cache;
    private final PrintWriter log;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private final Thread thread;
    private int idle;
    private volatile boolean closed;

    Engine(Model model, ServerConfig config, WorkerPool pool, PrefixCache cache, Metrics metrics, PrintWriter log) {
        this.slots = new Slot[config.parallel()];
        for (int i = 0; i < slots.length; i++) {
            PagedKvCache kv = model.newCache(config.context(), config.slotKv());
            slots[i] = new Slot(model, kv, pool, config.batch(), cache, metrics);
        }
        this.idle = slots.length;
        this.queueLimit = config.queue();
        this.metrics = metrics;
        this.cache = cache;
        this.log = log;
        this.thread = Thread.ofPlatform().name("llm4j-engine").daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Bytes a slot's cache needs for {@code positions} even with everything the ladder may demote at its
     * lowest rung, or 0 when the slots have no cap or do not refuse (evict, shift) when it is reached.
     */
    long minimumBytes(int positions) {
        PagedKvCache kv = slots[0].kv();
        return kv.settings().capped() && kv.settings().overflow() == KvOverflow.ERROR ? kv.minimumBytes(positions) : 0;
    }

    long slotCapBytes() {
        return slots[0].kv().settings().capBytes();
    }

    /** Queues {@code job}; a 503 when every slot is busy and the queue is full. */
    void submit(Job job) {
        lock.lock();
        try {
            if (closed) {
                throw ApiException.busy("the server is shutting down");
            }
            if (waiting.size() >= queueLimit + idle) {
                metrics.rejected.incrementAndGet();
                throw ApiException.busy("all " + slots.length + " slots are busy and " + queueLimit
                        + " requests are queued; retry later");
            }
            waiting.add(job);
            metrics.queueDepth = Math.max(0, waiting.size() - idle);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        List<Slot> active = new ArrayList<>();
        long lastExpiry = System.nanoTime();
        while (!closed) {
            admit(active);
            if (active.isEmpty()) {
                continue;
            }
            for (int i = 0; i < active.size(); ) {
                Slot s = active.get(i);
                if (advance(s)) {
                    i++;
                } else {
                    active.remove(i);
                    lock.lock();
                    try {
                        idle++;
                    } finally {
                        lock.unlock();
                    }
                }
            }
            updateGauges(active.size());
            if (System.nanoTime() - lastExpiry > 1_000_000_000L) {
                cache.expire();
                lastExpiry = System.nanoTime();
            }
        }
        for (Slot s : active) {
            s.fail(ApiException.busy("the server is shutting down"));
        }
    }

    /** Moves queued jobs into free slots; blocks while there is nothing at all to do. */
    private void admit(List<Slot> active) {
        lock.lock();
        try {
            while (active.isEmpty() && waiting.isEmpty() && !closed) {
                updateGauges(0);
                work.awaitUninterruptibly();
            }
            for (Slot s : slots) {
                if (waiting.isEmpty()) {
                    break;
                }
                if (!s.busy()) {
                    Job j = waiting.poll();
                    if (j.cancelled) {
                        continue;
                    }
                    if (System.nanoTime() - j.deadlineNanos > 0) {
                        metrics.timeouts.incrementAndGet();
                        j.emit(new Job.Failed(new ApiException(503, "server_error", null, "timeout",
                                "the request timed out waiting for a slot", 1)));
                        continue;
                    }
                    idle--;
                    active.add(s);
                    start(s, j);
                }
            }
            metrics.queueDepth = waiting.size();
        } finally {
            lock.unlock();
        }
    }

    private void start(Slot s, Job j) {
        try {
            s.start(j);
        } catch (RuntimeException e) {
            s.fail(internal(e));
        }
    }

    /** One step of one slot; false when it finished (or failed) its job. */
    private boolean advance(Slot s) {
        if (!s.busy()) {
            return false;
        }
        try {
            return s.step();
        } catch (KvCapacityException | ContextFullException e) {
            s.fail(new ApiException(503, "server_error", null, "kv_cache_full", e.getMessage(), 1));
            return false;
        } catch (RuntimeException e) {
            s.fail(internal(e));
            return false;
        }
    }

    private ApiException internal(RuntimeException e) {
        metrics.internalErrors.incrementAndGet();
        log.println("llm4j serve: internal error: " + e);
        log.flush();
        return new ApiException(500, "server_error", null, "internal_error", "internal error: " + e.getMessage(), null);
    }

    private void updateGauges(int busy) {
        long bytes = 0;
        long peak = 0;
        for (Slot s : slots) {
            bytes += s.kv().bytes();
            peak += s.kv().peakBytes();
        }
        metrics.kvBytes = bytes;
        metrics.kvPeakBytes = peak;
        metrics.slotsBusy = busy;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Job j : waiting) {
                j.emit(new Job.Failed(ApiException.busy("the server is shutting down")));
            }
            waiting.clear();
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
