package llm4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.model.kv.F32KvCache;
import llm4j.model.kv.KvCache;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.WeightBinder;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

class LogitsGoldenTest {

    @Test
    void f32LogitsMatchLlamaCpp() throws Exception {
        JsonNode golden = SharedData.json("golden/logits/stories260K-F32-final-logits.json");
        try (ModelFile file = ModelFiles.open(SharedData.model("gguf/stories260K.gguf"));
             WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = GgufConfig.read(file.metadata(), 512);
            Transformer tf = new Transformer(c, WeightBinder.bind(file, c),
                    new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), null, c.ropeScale()));
            for (JsonNode rec : golden.get("records")) {
                int[] ids = SharedData.ints(rec.get("prompt_ids"));
                float[] want = SharedData.floats(rec.get("logits"));
                KvCache kv = new llm4j.model.kv.F16KvCache(c.layers(), 256, c.kvHeads(), c.headDim());
                ForwardState s = tf.newState(ids.length, 1, 2, kv);
                tf.forward(s, kv, pool, ids, 0, ids.length, 0, 1);
                double maxDiff = 0;
                for (int i = 0; i < want.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(want[i] - s.logits[i]));
                }
                System.out.println(rec.get("prompt").asText() + " maxdiff " + maxDiff);
                assertEquals(rec.get("argmax").asInt(), FloatMath.argmax(s.logits, 0, want.length));
                assertTrue(maxDiff < 0.05, "max |dlogit| " + maxDiff);
            }
        }
    }
}
