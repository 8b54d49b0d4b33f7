package llm4j.model.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** Every index is visited exactly once, for any size and thread count, over many back-to-back tasks. */
    @Property(tries = 60)
    void coversEachIndexOnce(@ForAll @IntRange(min = 1, max = 4) int threads, @ForAll @IntRange(min = 0, max = 3000) int n) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int round = 0; round < 50; round++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                int size = (n + round * 7) % (n + 1);
                pool.parallelFor(size, (from, to, worker) -> {
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < size; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + size);
                }
            }
        }
    }

    @Test
    void workerIdsIndexScratch() {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray seen = new AtomicIntegerArray(3);
            pool.parallelFor(1000, (from, to, worker) -> seen.incrementAndGet(worker));
            int total = seen.get(0) + seen.get(1) + seen.get(2);
            assertEquals(12, total, "3 threads x 4 chunks");
        }
    }

    @Test
    void failuresReachTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, (from, to, worker) -> {
                if (from == 0) {
                    throw new IllegalStateException("boom");
                }
            }));
            pool.parallelFor(10, (from, to, worker) -> { });
        }
    }
}
