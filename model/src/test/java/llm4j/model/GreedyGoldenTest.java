package llm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.generate.Generator;
import llm4j.model.generate.Session;
import llm4j.model.kv.F16KvCache;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.Sampler;
import llm4j.model.sample.SamplerSettings;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding against llama-server on every stories260K variant: F32/F16/BF16 must give all 64
 * tokens; quantized files must follow llama.cpp's own decode of the same file at least until that
 * decode first leaves the F32 path (where near-ties make activation rounding decide).
 */
class GreedyGoldenTest {

    @Test
    void matchesLlamaCppGreedyTokens() throws Exception {
        List<String> failures = new ArrayList<>();
        try (WorkerPool pool = new WorkerPool(2)) {
            for (JsonNode rec : SharedData.jsonLines("golden/greedy/stories260K-greedy.jsonl")) {
                String file = rec.get("model_file").asText().replaceFirst("^models/", "");
                int[] prompt = SharedData.ints(rec.get("prompt_ids"));
                int[] want = SharedData.ints(rec.get("generated_ids"));
                int mustMatch = rec.get("first_divergence_vs_F32").isNull() ? want.length : rec.get("first_divergence_vs_F32").asInt();
                int[] got = greedy(file, prompt, want.length, pool);
                int[] wantPrefix = Arrays.copyOf(want, mustMatch);
                int[] gotPrefix = Arrays.copyOf(got, mustMatch);
                if (!Arrays.equals(wantPrefix, gotPrefix)) {
                    failures.add(rec.get("model_variant").asText() + " '" + rec.get("prompt").asText() + "': want "
                            + Arrays.toString(wantPrefix) + " got " + Arrays.toString(gotPrefix));
                }
            }
        }
        assertArrayEquals(new String[0], failures.toArray(String[]::new), String.join("\n", failures));
    }

    private static int[] greedy(String file, int[] prompt, int n, WorkerPool pool) throws Exception {
        try (TestModels.Loaded m = TestModels.gguf(file)) {
            ModelConfig c = m.config();
            Session session = new Session(m.transformer(), new F16KvCache(c.layers(), 256, c.kvHeads(), c.headDim()), pool, 64);
            int[] out = new int[n];
            int[] count = {0};
            Generator.generate(session, prompt, n, new Sampler(SamplerSettings.greedy(), c.vocabSize()), t -> false, t -> {
                out[count[0]++] = t;
                return true;
            });
            return out;
        }
    }
}
