package llm4j.testdata.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs fuzz cases one at a time on a worker thread, each under a deadline, and enforces the one
 * contract every case has: it either succeeds or throws the {@code allowed} exception type. Any
 * other exception, an error (OutOfMemoryError included) or a missed deadline fails the test with
 * the case's description, which names the seed and mutation so the case can be replayed.
 */
public final class FuzzCases implements AutoCloseable {

    private final Duration deadline;
    private final Class<? extends Exception> allowed;
    private ExecutorService worker = newWorker();
    private int succeeded;
    private int rejected;

    public FuzzCases(Duration deadline, Class<? extends Exception> allowed) {
        this.deadline = deadline;
        this.allowed = allowed;
    }

    /**
     * Runs {@code body}; returns the allowed exception it threw, or null when it succeeded.
     * Fails the test on anything else.
     */
    public Exception check(String description, Callable<?> body) {
        Future<?> future = worker.submit(body);
        try {
            future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            succeeded++;
            return null;
        } catch (TimeoutException e) {
            future.cancel(true);
            // the stuck thread cannot be stopped; leave it behind and give later cases a fresh one
            worker.shutdownNow();
            worker = newWorker();
            return fail(description + ": did not finish within " + deadline.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(description + ": interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (allowed.isInstance(cause)) {
                rejected++;
                return allowed.cast(cause);
            }
            throw new AssertionError(description + ": threw " + cause.getClass().getName()
                    + " instead of " + allowed.getSimpleName(), cause);
        }
    }

    /** Cases that succeeded. */
    public int succeeded() {
        return succeeded;
    }

    /** Cases that threw the allowed exception. */
    public int rejected() {
        return rejected;
    }

    public int total() {
        return succeeded + rejected;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-case");
            t.setDaemon(true);
            return t;
        });
    }
}
