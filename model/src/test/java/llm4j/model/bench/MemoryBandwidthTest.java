package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import llm4j.model.parallel.WorkerPool;
import org.junit.jupiter.api.Test;

/** Only the mechanics: a speed is a machine's property, never asserted in a unit test. */
class MemoryBandwidthTest {

    @Test
    void bufferIsWholeMebibytesAndAMeasurementIsAFiniteRate() {
        try (MemoryBandwidth bw = new MemoryBandwidth((3L << 20) + 12345); WorkerPool pool = new WorkerPool(2)) {
            assertEquals(3L << 20, bw.bytes());
            double rate = bw.measure(pool, 2);
            assertTrue(rate > 0 && Double.isFinite(rate), "bytes/s: " + rate);
        }
        try (MemoryBandwidth tiny = new MemoryBandwidth(10)) {
            assertEquals(1L << 20, tiny.bytes(), "at least one block");
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryBandwidth(0));
        try (MemoryBandwidth bw = new MemoryBandwidth(1 << 20); WorkerPool pool = new WorkerPool(1)) {
            assertThrows(IllegalArgumentException.class, () -> bw.measure(pool, 0));
        }
    }
}
