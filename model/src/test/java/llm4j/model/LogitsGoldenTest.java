package llm4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.kv.F16KvCache;
import llm4j.model.kv.KvCache;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Final-position logits against llama.cpp's {@code dump-logits} (f16 K/V cache). Tolerances from
 * golden/README.md 3d: F32 weights within 1e-3; quantized weights within 0.3. A GGUF file's activations are
 * rounded as ggml rounds them (ActivationRounding: 8-bit blocks for quantized weights, half floats for F16/BF16),
 * which brings the K-quant records and most stories260K Q8_0 records to within 1e-5 of llama.cpp; one Q8_0 record
 * and the non-empty Q4_0 records stay 0.13-0.22 away (the reason is not known yet: docs/quality.md).
 */
class LogitsGoldenTest {

    @ParameterizedTest
    @CsvSource({
        "stories260K-F32-final-logits.json, gguf/stories260K.gguf, 0.001",
        "stories260K-Q8_0-final-logits.json, gguf/stories260K-Q8_0.gguf, 0.3",
        "stories260K-Q4_0-final-logits.json, gguf/stories260K-Q4_0.gguf, 0.3"})
    void stories260K(String golden, String model, double tolerance) throws Exception {
        JsonNode file = SharedData.json("golden/logits/" + golden);
        try (TestModels.Loaded m = TestModels.gguf(model); WorkerPool pool = new WorkerPool(2)) {
            for (JsonNode rec : file.get("records")) {
                float[] logits = finalLogits(m, SharedData.ints(rec.get("prompt_ids")), pool);
                assertClose(SharedData.floats(rec.get("logits")), logits, tolerance, model + " '" + rec.get("prompt").asText() + "'");
                assertEquals(rec.get("argmax").asInt(), FloatMath.argmax(logits, 0, logits.length), "argmax");
            }
        }
    }

    /**
     * The random 256-wide model: K-quant weights against llama.cpp's decode of the same file. Its
     * logits are near-uniform (std 0.3), so only the distance is asserted: 0 to 0.018 with activations
     * rounded to Q8_K as llama.cpp does (0.012-0.018 with float activations).
     */
    @ParameterizedTest
    @CsvSource({"F32, 0.001", "BF16, 0.01", "Q6_K, 0.03", "Q5_K, 0.03", "Q4_K_M-like, 0.03", "Q3_K, 0.03", "Q2_K, 0.03"})
    void randomLlamaWeights(String weights, double tolerance) throws Exception {
        JsonNode file = SharedData.json("golden/logits/random-llama-256d-final-logits.json");
        try (TestModels.Loaded m = TestModels.gguf("gguf/random-llama-256d-" + weights + ".gguf"); WorkerPool pool = new WorkerPool(2)) {
            int checked = 0;
            for (JsonNode rec : file.get("records")) {
                if (!rec.get("weights").asText().equals(weights) || !rec.get("kv_cache").asText().equals("f16 (no -fa)")) {
                    continue;
                }
                float[] logits = finalLogits(m, SharedData.ints(rec.get("prompt_ids")), pool);
                assertClose(SharedData.floats(rec.get("logits")), logits, tolerance, weights + " " + rec.get("prompt_ids").size() + " ids");
                checked++;
            }
            assertTrue(checked > 0, "no golden records for " + weights);
        }
    }

    private static float[] finalLogits(TestModels.Loaded m, int[] ids, WorkerPool pool) {
        ModelConfig c = m.config();
        KvCache kv = new F16KvCache(c.layers(), 256, c.kvHeads(), c.headDim());
        ForwardState s = m.transformer().newState(ids.length, 1, pool.threads(), kv);
        m.transformer().forward(s, kv, pool, ids, 0, ids.length, 0, 1);
        return java.util.Arrays.copyOf(s.logits, c.vocabSize());
    }

    private static void assertClose(float[] want, float[] got, double tolerance, String what) {
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i] - got[i]));
        }
        System.out.printf("logits-golden %-60s max |dlogit| %.6f (tolerance %s)%n", what, max, tolerance);
        assertTrue(max <= tolerance, what + ": max |Δlogit| " + max + " > " + tolerance);
    }
}
