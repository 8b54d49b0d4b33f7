package llm4j.model.kv;

import java.nio.file.Path;
import java.util.Random;

import llm4j.model.Model;
import llm4j.model.generate.Session;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Token generation at depth with each cache type, until the CLI has a bench command:
 * {@code -Dkv.bench=MODEL.gguf [-Dkv.depth=2048 -Dkv.tokens=128 -Dkv.threads=2 -Dkv.types=f16,q8_0,q4_0]}.
 * The cache is filled with random keys and values (attention costs the same whatever they hold),
 * then tokens are generated one at a time.
 */
@EnabledIfSystemProperty(named = "kv.bench", matches = ".+")
class KvBench {

    @Test
    void tokenGenerationAtDepth() throws Exception {
        Path path = Path.of(System.getProperty("kv.bench"));
        int depth = Integer.getInteger("kv.depth", 2048);
        int tokens = Integer.getInteger("kv.tokens", 128);
        int threads = Integer.getInteger("kv.threads", 2);
        String[] types = System.getProperty("kv.types", "f16,q8_0,q4_0").split(",");
        try (Model m = Model.load(path); WorkerPool pool = new WorkerPool(threads)) {
            int kvDim = m.config().kvDim();
            for (int round = 0; round < 2; round++) { // the first round warms the JIT up
                for (String t : types) {
                    String[] kv = t.split("/");
                    KvCodec k = KvCodecs.byName(kv[0]);
                    KvCodec v = KvCodecs.byName(kv.length > 1 ? kv[1] : kv[0]);
                    PagedKvCache cache = m.newCache(depth + tokens + 1, KvSettings.of(k, v));
                    Random rnd = new Random(1);
                    float[] kr = new float[kvDim];
                    float[] vr = new float[kvDim];
                    cache.reserve(0, depth);
                    for (int p = 0; p < depth; p++) {
                        for (int l = 0; l < m.config().layers(); l++) {
                            for (int i = 0; i < kvDim; i++) {
                                kr[i] = (float) rnd.nextGaussian();
                                vr[i] = (float) rnd.nextGaussian();
                            }
                            cache.store(l, p, kr, 0, vr, 0);
                        }
                    }
                    Session s = m.newSession(cache, pool, 1);
                    s.resumeAt(depth);
                    int n = round == 0 ? Math.min(16, tokens) : tokens;
                    long t0 = System.nanoTime();
                    int token = 1;
                    for (int i = 0; i < n; i++) {
                        s.feed(token);
                        token = (token * 31 + 7) % m.config().vocabSize();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (round == 1) {
                        System.out.printf("kv-bench %-10s depth %5d: tg %d tokens %.2f t/s, kv %.1f MiB%n", t, depth, n, n / secs,
                                cache.bytes() / 1048576.0);
                    }
                }
            }
        }
    }
}
