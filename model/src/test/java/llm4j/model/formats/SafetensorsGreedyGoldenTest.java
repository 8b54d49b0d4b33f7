package llm4j.model.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.LoadOptions;
import llm4j.model.Model;
import llm4j.model.RopeStyle;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.GgmlType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/**
 * The Hugging Face folder story-llama-2L-128d against the independent numpy reference (golden 2c): the prompt ids
 * from its tokenizer.json and all 64 greedy tokens of every prompt.
 */
class SafetensorsGreedyGoldenTest {

    static Path folder() {
        return SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent();
    }

    @Test
    void matchesNumpyReference() throws Exception {
        try (Model m = Model.load(folder()); WorkerPool pool = new WorkerPool(2)) {
            assertEquals(RopeStyle.NEOX, m.config().ropeStyle());
            assertEquals(4, m.config().kvHeads());
            for (JsonNode rec : SharedData.jsonLines("golden/greedy/story-llama-2L-128d-greedy-numpy.jsonl")) {
                int[] prompt = m.tokenizer().encode(rec.get("prompt").asText(), true, true);
                assertArrayEquals(SharedData.ints(rec.get("prompt_ids")), prompt, "prompt ids of " + rec.get("prompt"));
                int[] want = SharedData.ints(rec.get("generated_ids"));
                assertArrayEquals(want, Greedy.decode(m, prompt, want.length, pool), "greedy tokens of " + rec.get("prompt"));
            }
        }
    }

    /** Quantized at load, the model still starts with the reference's first tokens (near-ties may differ later). */
    @Test
    void quantizeOnLoadStaysClose() throws Exception {
        try (Model m = Model.load(folder(), new LoadOptions(GgmlType.Q8_0)); WorkerPool pool = new WorkerPool(2)) {
            assertEquals(GgmlType.Q8_0, m.transformer().weights().layers()[0].wq().weight().type());
            assertEquals(GgmlType.Q8_0, m.transformer().weights().tokenEmbedding().type());
            JsonNode rec = SharedData.jsonLines("golden/greedy/story-llama-2L-128d-greedy-numpy.jsonl").getFirst();
            int[] want = SharedData.ints(rec.get("generated_ids"));
            int[] got = Greedy.decode(m, SharedData.ints(rec.get("prompt_ids")), 5, pool);
            assertArrayEquals(java.util.Arrays.copyOf(want, 5), got); // token 6 is a near-tie that Q8_0 flips
        }
    }
}
