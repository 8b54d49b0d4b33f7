package llm4j.model.perplexity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.Model;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Perplexity against llama-perplexity on golden/corpus.txt. The default suite compares the running
 * value after the first chunks (llama.cpp printed it after every chunk, so the reference is exact
 * for any prefix); {@code -Pgolden-full} scores the whole corpus against the final estimates.
 * Tolerance: 0.5% for F32/F16/BF16, 1% for quantized weights (llama.cpp rounds their activations
 * to 8 bits, llm4j does not).
 */
class PerplexityGoldenTest {

    @ParameterizedTest(name = "{0} c={1}, first {2} chunks")
    @CsvSource({
        "F32, 128, 40", "F16, 128, 40", "BF16, 128, 40", "Q8_0, 128, 40", "Q5_0, 128, 40", "Q4_1, 128, 40", "Q4_0, 128, 40",
        "F32, 256, 12", "Q8_0, 256, 12", "Q4_0, 256, 12"})
    void runningPerplexityMatches(String variant, int ctx, int chunks) throws Exception {
        compare(variant, ctx, chunks);
    }

    @Tag("slow")
    @ParameterizedTest(name = "{0} c={1}, whole corpus")
    @CsvSource({
        "F32, 128", "F16, 128", "BF16, 128", "Q8_0, 128", "Q5_0, 128", "Q4_1, 128", "Q4_0, 128",
        "F32, 256", "F16, 256", "BF16, 256", "Q8_0, 256", "Q5_0, 256", "Q4_1, 256", "Q4_0, 256"})
    void finalEstimateMatches(String variant, int ctx) throws Exception {
        compare(variant, ctx, Integer.MAX_VALUE);
    }

    private static void compare(String variant, int ctx, int maxChunks) throws Exception {
        JsonNode run = SharedData.jsonLines("golden/perplexity/runs.jsonl").stream()
                .filter(r -> r.get("group").asText().equals("ppl") && r.get("model_variant").asText().equals(variant)
                        && r.get("ctx").asInt() == ctx)
                .findFirst().orElseThrow();
        String file = run.get("model_file").asText().replaceFirst("^models/", "");
        String text = Files.readString(SharedData.file("golden/corpus.txt"));
        double tolerance = variant.startsWith("Q") ? 0.01 : 0.005;
        try (Model m = Model.load(SharedData.model(file)); WorkerPool pool = new WorkerPool(2)) {
            int[] tokens = m.tokenizer().encode(text, true, false);
            int chunks = Math.min(maxChunks, tokens.length / ctx);
            PerplexityResult r = new Perplexity(m.transformer(), pool)
                    .run(Arrays.copyOf(tokens, chunks * ctx), ctx, m.tokenizer().bos(), m.newCache(ctx), null, null);
            double want = maxChunks == Integer.MAX_VALUE
                    ? run.get("ppl").asDouble()
                    : run.get("running_ppl_per_chunk").get(chunks - 1).asDouble();
            if (maxChunks == Integer.MAX_VALUE) {
                assertEquals(run.get("n_chunks").asInt(), r.chunks(), "chunk count");
            }
            assertEquals(want, r.ppl(), want * tolerance, variant + " c=" + ctx + " after " + chunks + " chunks");
        }
    }
}
