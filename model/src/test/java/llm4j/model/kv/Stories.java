package llm4j.model.kv;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.model.ModelConfig;
import llm4j.model.Rope;
import llm4j.model.Transformer;
import llm4j.model.generate.Session;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.WeightBinder;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;

/** A model from shared/models loaded once per test class, with greedy generation over any cache. */
final class Stories implements AutoCloseable {

    final ModelFile file;
    final ModelConfig config;
    final Rope rope;
    final Transformer transformer;
    /** One thread: on a loaded 2-core machine a second worker mostly waits for the scheduler. */
    final WorkerPool pool = new WorkerPool(1);

    Stories(String model) throws Exception {
        file = ModelFiles.open(SharedData.model(model));
        config = GgufConfig.read(file.metadata(), 512);
        rope = new Rope(config.ropeStyle(), config.ropeDim(), config.ropeBase(), null, config.ropeScale());
        transformer = new Transformer(config, WeightBinder.bind(file, config), rope);
    }

    static Stories load() throws Exception {
        return new Stories("gguf/stories260K.gguf");
    }

    /** The golden greedy records of stories260K F32 (llama-server, default f16 cache). */
    static List<JsonNode> greedyGoldens() {
        return SharedData.jsonLines("golden/greedy/stories260K-greedy.jsonl").stream()
                .filter(r -> r.get("model_variant").asText().equals("F32")).toList();
    }

    PagedKvCache cache(int context, KvSettings settings) {
        return new PagedKvCache(KvGeometry.of(config), context, settings, rope);
    }

    interface Step {
        void after(int generated, KvCache kv);
    }

    /** Feeds the prompt, then {@code n} greedy tokens; {@code step} sees the cache after each one. */
    int[] greedy(KvCache kv, int[] prompt, int n, Step step) {
        Session session = new Session(transformer, kv, pool, 32);
        session.feed(prompt, 0, prompt.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = FloatMath.argmax(session.logits(), 0, session.vocabSize());
            session.feed(out[i]);
            if (step != null) {
                step.after(i + 1, kv);
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        pool.close();
        file.close();
    }
}
