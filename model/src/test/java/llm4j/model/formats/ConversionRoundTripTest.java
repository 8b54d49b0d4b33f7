package llm4j.model.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorLayout;
import llm4j.loader.TensorView;
import llm4j.model.Model;
import llm4j.model.RopeStyle;
import llm4j.model.convert.ModelConverter;
import llm4j.model.convert.ModelConverter.Options;
import llm4j.model.convert.ModelConverter.Target;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.perplexity.Perplexity;
import llm4j.model.perplexity.PerplexityResult;
import llm4j.quant.GgmlType;
import llm4j.quant.smq.SmqScheme;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conversions between the formats keep what they promise: exact values, the same greedy text, the same perplexity. */
class ConversionRoundTripTest {

    private static final String PROMPT = "Once upon a time";

    @TempDir
    static Path dir;

    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static int[] greedy(Path model, int n) throws Exception {
        try (Model m = Model.load(model)) {
            return Greedy.decode(m, m.tokenizer().encode(PROMPT, true, true), n, pool);
        }
    }

    @Test
    void ggufF32ToSmqF32RunsIdentically() throws Exception {
        Path gguf = SharedData.model("gguf/stories260K.gguf");
        Path smq = dir.resolve("stories-f32.smq");
        ModelConverter.convert(gguf, smq, new Options(Target.SMQ, "f32", 32), (w, t) -> { });
        try (ModelFile f = ModelFiles.open(smq)) {
            assertEquals("smq", f.format());
            assertEquals(48, f.tensors().size());
            assertTrue(f.tensors().stream().allMatch(t -> t.type() == GgmlType.F32 && t.isGgmlLayout()));
        }
        assertArrayEquals(greedy(gguf, 48), greedy(smq, 48));
    }

    /**
     * ggml Q8_0 blocks repacked into SMQ's layout decode to the very same floats, and run the same (the F16
     * ffn_down tensors, which SMQ cannot hold, widen exactly to F32).
     */
    @Test
    void ggufQ8ToSmqQ8IsLossFree() throws Exception {
        Path gguf = SharedData.model("gguf/stories260K-Q8_0.gguf");
        Path smq = dir.resolve("stories-q8.smq");
        ModelConverter.convert(gguf, smq, new Options(Target.SMQ, null, 32), (w, t) -> { });
        int q8 = 0;
        try (ModelFile a = ModelFiles.open(gguf); ModelFile b = ModelFiles.open(smq)) {
            for (TensorView t : a.tensors()) {
                TensorView u = b.tensor(t.name()).orElseThrow();
                assertArrayEquals(t.shape(), u.shape(), t.name());
                if (t.type() == GgmlType.Q8_0) {
                    q8++;
                    assertEquals(SmqScheme.Q8_0, ((TensorLayout.SmqBlocks) u.layout()).scheme());
                }
                assertSameValues(t, u);
            }
        }
        assertEquals(32, q8);
        assertArrayEquals(greedy(gguf, 32), greedy(smq, 32));
    }

    @Test
    void ggufQ4ToSmqQ4IsLossFree() throws Exception {
        Path gguf = SharedData.model("gguf/stories260K-Q4_0.gguf");
        Path smq = dir.resolve("stories-q4.smq");
        ModelConverter.convert(gguf, smq, new Options(Target.SMQ, null, 32), (w, t) -> { });
        try (ModelFile a = ModelFiles.open(gguf); ModelFile b = ModelFiles.open(smq)) {
            for (TensorView t : a.tensors()) {
                assertSameValues(t, b.tensor(t.name()).orElseThrow());
            }
        }
    }

    private static void assertSameValues(TensorView a, TensorView b) {
        int rows = (int) a.rows();
        int cols = (int) a.cols();
        float[] x = new float[cols];
        float[] y = new float[cols];
        var wa = a.matrix(rows, cols);
        var wb = b.matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            wa.dequantizeRow(r, x, 0);
            wb.dequantizeRow(r, y, 0);
            for (int j = 0; j < cols; j++) {
                assertEquals(Float.floatToIntBits(x[j]), Float.floatToIntBits(y[j]), a.name() + " row " + r + " col " + j);
            }
        }
    }

    /** A quantized SMQ written from F32 weights carries its tokenizer and runs. */
    @Test
    void smqQ4FromF32Runs() throws Exception {
        Path smq = dir.resolve("stories-q4-from-f32.smq");
        ModelConverter.convert(SharedData.model("gguf/stories260K.gguf"), smq, new Options(Target.SMQ, "q4_0", 32), (w, t) -> { });
        try (Model m = Model.load(smq)) {
            assertEquals(512, m.tokenizer().vocabSize());
            int[] out = Greedy.decode(m, m.tokenizer().encode(PROMPT, true, true), 8, pool);
            assertEquals(8, out.length);
            assertFalse(m.tokenizer().decode(out).isBlank());
        }
    }

    /** safetensors → GGUF (Q/K permuted for adjacent-pair RoPE, tokenizer.json embedded) → the numpy golden. */
    @Test
    void safetensorsToGgufKeepsGreedyOutputAndPerplexity() throws Exception {
        Path folder = SafetensorsGreedyGoldenTest.folder();
        Path gguf = dir.resolve("story.gguf");
        ModelConverter.convert(folder, gguf, new Options(Target.GGUF, null, 32), (w, t) -> { });
        JsonNode rec = SharedData.jsonLines("golden/greedy/story-llama-2L-128d-greedy-numpy.jsonl").getFirst();
        try (Model m = Model.load(gguf)) {
            assertEquals(RopeStyle.ADJACENT, m.config().ropeStyle());
            assertFalse(m.file().tensor("output.weight").isPresent(), "tied output left out, as llama.cpp does");
            int[] prompt = m.tokenizer().encode(rec.get("prompt").asText(), true, true);
            assertArrayEquals(SharedData.ints(rec.get("prompt_ids")), prompt);
            int[] want = SharedData.ints(rec.get("generated_ids"));
            assertArrayEquals(want, Greedy.decode(m, prompt, want.length, pool));
        }
        double fromFolder = perplexity(folder, 8);
        double fromGguf = perplexity(gguf, 8);
        assertTrue(Double.isFinite(fromFolder) && fromFolder > 1, "perplexity " + fromFolder);
        assertEquals(fromFolder, fromGguf, fromFolder * 1e-4);
    }

    /** safetensors → SMQ: the tokenizer travels in the JSON metadata (tokenizer.huggingface.json) and the file runs. */
    @Test
    void safetensorsToSmqRunsTheGolden() throws Exception {
        Path smq = dir.resolve("story.smq");
        ModelConverter.convert(SafetensorsGreedyGoldenTest.folder(), smq, new Options(Target.SMQ, "f32", 32), (w, t) -> { });
        JsonNode rec = SharedData.jsonLines("golden/greedy/story-llama-2L-128d-greedy-numpy.jsonl").get(1);
        try (Model m = Model.load(smq)) {
            int[] prompt = m.tokenizer().encode(rec.get("prompt").asText(), true, true);
            assertArrayEquals(SharedData.ints(rec.get("prompt_ids")), prompt);
            int[] want = SharedData.ints(rec.get("generated_ids"));
            assertArrayEquals(want, Greedy.decode(m, prompt, want.length, pool));
        }
    }

    /** Perplexity over the first {@code chunks} chunks of 128 tokens of golden/corpus.txt. */
    static double perplexity(Path model, int chunks) throws Exception {
        String text = Files.readString(SharedData.file("golden/corpus.txt"));
        try (Model m = Model.load(model)) {
            int[] tokens = m.tokenizer().encode(text.substring(0, 20_000), true, false);
            int n = Math.min(chunks, tokens.length / 128);
            PerplexityResult r = new Perplexity(m.transformer(), pool)
                    .run(Arrays.copyOf(tokens, n * 128), 128, m.tokenizer().bos(), m.newCache(128), null, null);
            return r.ppl();
        }
    }
}
