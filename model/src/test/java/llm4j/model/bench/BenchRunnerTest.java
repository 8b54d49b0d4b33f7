package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import llm4j.model.Model;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

class BenchRunnerTest {

    /**
     * Every run rewinds to the depth: after warm-up and three runs the cache holds exactly depth +
     * tokens positions (a runner that forgot to rewind would overflow this cache on the second run).
     */
    @Test
    void runsRewindToTheDepthAndTimeEachRepetition() throws Exception {
        try (Model m = Model.load(SharedData.model("gguf/stories260K.gguf")); WorkerPool pool = new WorkerPool(2)) {
            BenchRunner runner = new BenchRunner(m, 7);
            for (BenchTest test : new BenchTest[] {BenchTest.prompt(24, 8), BenchTest.generation(6, 8), BenchTest.prompt(10, 0)}) {
                PagedKvCache kv = m.newCache(test.positions(), KvSettings.defaults());
                long[] nanos = runner.run(test, kv, pool, 16, 3);
                assertEquals(3, nanos.length);
                for (long n : nanos) {
                    assertTrue(n > 0, test.name() + ": " + n);
                }
                assertEquals(test.positions(), kv.positionsHeld(), test.name());
            }
        }
    }

    @Test
    void aCacheTooSmallForTheTestIsRefused() throws Exception {
        try (Model m = Model.load(SharedData.model("gguf/stories260K.gguf")); WorkerPool pool = new WorkerPool(1)) {
            PagedKvCache kv = m.newCache(20, KvSettings.defaults());
            BenchRunner runner = new BenchRunner(m, 1);
            assertThrows(IllegalArgumentException.class, () -> runner.run(BenchTest.generation(16, 8), kv, pool, 512, 1));
            assertThrows(IllegalArgumentException.class, () -> runner.run(BenchTest.prompt(4, 0), kv, pool, 512, 0));
        }
    }
}
