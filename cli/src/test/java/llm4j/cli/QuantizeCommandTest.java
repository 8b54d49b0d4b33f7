package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorView;
import llm4j.model.Model;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.perplexity.Perplexity;
import llm4j.model.perplexity.PerplexityResult;
import llm4j.model.quantize.Mixture;
import llm4j.model.quantize.Quantizer;
import llm4j.quant.GgmlType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize} against the ggml-made stories260K files and llama-quantize's type rules. */
class QuantizeCommandTest {

    @Test
    void pureQuantizationIsByteIdenticalToGgml(@TempDir Path dir) throws Exception {
        Path f32 = SharedData.model("gguf/stories260K.gguf");
        for (String type : List.of("Q8_0", "Q4_0", "Q4_1", "Q5_0", "F16", "BF16")) {
            Path out = dir.resolve("s-" + type + ".gguf");
            CliRunner.Result r = CliRunner.run("quantize", f32.toString(), out.toString(), type, "--pure", "-t", "2");
            assertEquals(0, r.exitCode(), r.err());
            Path shipped = SharedData.model("gguf/stories260K-" + type + ".gguf");
            try (ModelFile mine = ModelFiles.open(out); ModelFile ggml = ModelFiles.open(shipped)) {
                assertEquals(ggml.tensors().size(), mine.tensors().size());
                for (int i = 0; i < ggml.tensors().size(); i++) {
                    TensorView a = ggml.tensors().get(i);
                    TensorView b = mine.tensors().get(i);
                    assertEquals(a.name(), b.name());
                    assertEquals(a.type(), b.type(), type + " " + a.name());
                    assertArrayEquals(a.shape(), b.shape(), a.name());
                    assertEquals(-1, a.data().mismatch(b.data()), type + " " + a.name() + " bytes");
                }
                assertEquals(ggml.metadata().get("general.file_type"), mine.metadata().get("general.file_type"));
            }
            // header and layout too: the whole file is the same
            assertEquals(-1, Files.mismatch(shipped, out), type + " file");
            if (!type.startsWith("Q")) {
                continue;
            }
            // ffn_down rows are 172 wide: they fall back to F16 with a warning, as in the shipped files
            assertTrue(r.err().contains("blk.0.ffn_down.weight: rows of 172 are not a multiple"), r.err());
            assertTrue(r.out().contains("bits per weight"), r.out());
        }
    }

    @Test
    void quantizedPerplexityMatchesLlamaPerplexity(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q4.gguf");
        assertEquals(0, CliRunner.run("quantize", SharedData.model("gguf/stories260K.gguf").toString(), out.toString(), "Q4_0",
                "--pure").exitCode());
        JsonNode run = SharedData.jsonLines("golden/perplexity/runs.jsonl").stream()
                .filter(x -> x.get("group").asText().equals("ppl") && x.get("model_variant").asText().equals("Q4_0")
                        && x.get("ctx").asInt() == 128).findFirst().orElseThrow();
        int chunks = 3;
        try (Model m = Model.load(out); WorkerPool pool = new WorkerPool(2)) {
            // a prefix of the corpus tokenizes like the corpus up to near its end; 20 000 characters cover 6 chunks
            String text = Files.readString(SharedData.file("golden/corpus.txt")).substring(0, 20_000);
            int[] tokens = m.tokenizer().encode(text, true, false);
            PerplexityResult r = new Perplexity(m.transformer(), pool)
                    .run(Arrays.copyOf(tokens, chunks * 128), 128, m.tokenizer().bos(), m.newCache(128), null, null);
            double want = run.get("running_ppl_per_chunk").get(chunks - 1).asDouble();
            assertEquals(want, r.ppl(), want * 0.01, "llama-perplexity after " + chunks + " chunks");
        }
    }

    @Test
    void kMixturesFollowLlamaQuantize() throws Exception {
        try (ModelFile in = ModelFiles.open(SharedData.model("gguf/random-llama-256d-F32.gguf"))) {
            List<Quantizer.Planned> plan = Quantizer.plan(in, new Quantizer.Options(Mixture.Q4_K_M, false, null, null), w -> { });
            // 2 layers: use_more_bits picks layer 1 only (1 >= 7*2/8); output.weight (256 wide) gets Q6_K
            assertEquals(GgmlType.Q6_K, typeOf(plan, "output.weight"));
            assertEquals(GgmlType.Q4_K, typeOf(plan, "token_embd.weight"));
            assertEquals(GgmlType.Q4_K, typeOf(plan, "blk.0.attn_v.weight"));
            assertEquals(GgmlType.Q6_K, typeOf(plan, "blk.1.attn_v.weight"));
            assertEquals(GgmlType.Q4_K, typeOf(plan, "blk.0.ffn_down.weight"));
            assertEquals(GgmlType.Q6_K, typeOf(plan, "blk.1.ffn_down.weight"));
            assertEquals(GgmlType.F32, typeOf(plan, "blk.0.attn_norm.weight"));
            List<Quantizer.Planned> s = Quantizer.plan(in, new Quantizer.Options(Mixture.Q4_K_S, false, null, null), w -> { });
            assertEquals(GgmlType.Q5_K, typeOf(s, "blk.1.attn_v.weight")); // the first four attn_v get Q5_K
            assertEquals(GgmlType.Q4_K, typeOf(s, "blk.1.ffn_down.weight"));
            List<Quantizer.Planned> q3 = Quantizer.plan(in, new Quantizer.Options(Mixture.Q3_K_M, false, GgmlType.Q8_0, GgmlType.F16), w -> { });
            assertEquals(GgmlType.Q5_K, typeOf(q3, "blk.0.attn_v.weight"));
            assertEquals(GgmlType.Q4_K, typeOf(q3, "blk.0.attn_output.weight"));
            assertEquals(GgmlType.Q8_0, typeOf(q3, "output.weight"));
            assertEquals(GgmlType.F16, typeOf(q3, "token_embd.weight"));
            assertEquals(GgmlType.Q3_K, typeOf(q3, "blk.0.attn_q.weight"));
        }
    }

    private static GgmlType typeOf(List<Quantizer.Planned> plan, String name) {
        return plan.stream().filter(p -> p.tensor().name().equals(name)).findFirst().orElseThrow().type();
    }

    @Test
    void requantizingWarnsAndSetsTheFileType(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("rq.gguf");
        CliRunner.Result r = CliRunner.run("quantize", SharedData.model("gguf/stories260K-Q8_0.gguf").toString(), out.toString(), "q4_k_m");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("already quantized (q8_0)"), r.err());
        try (ModelFile f = ModelFiles.open(out)) {
            assertEquals(15L, f.metadata().get("general.file_type").orElseThrow().value());
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").orElseThrow().type()); // Q6_K does not fit 64-wide rows
        }
    }

    @Test
    void badInputFailsInOneLineWithoutAFile(@TempDir Path dir) throws Exception {
        String in = SharedData.model("gguf/stories260K.gguf").toString();
        Path out = dir.resolve("out.gguf");
        CliRunner.Result type = CliRunner.run("quantize", in, out.toString(), "IQ4_XS");
        assertEquals(2, type.exitCode());
        assertTrue(type.err().startsWith("llm4j: unsupported type 'IQ4_XS'") && type.err().strip().lines().count() == 1, type.err());
        assertEquals(2, CliRunner.run("quantize", in, out.toString(), "Q8_0", "--output-tensor-type", "iq2_xs").exitCode());
        assertEquals(2, CliRunner.run("quantize", in, out.toString(), "Q8_0", "--format", "onnx").exitCode()); // smq: FormatsCliTest
        CliRunner.Result noDir = CliRunner.run("quantize", in, dir.resolve("missing/out.gguf").toString(), "Q8_0");
        assertEquals(1, noDir.exitCode());
        assertEquals(1, noDir.err().strip().lines().count(), noDir.err());
        Path locked = Files.createDirectory(dir.resolve("locked"));
        assertTrue(locked.toFile().setWritable(false));
        try {
            if (!Files.isWritable(locked)) { // root ignores permissions
                CliRunner.Result ro = CliRunner.run("quantize", in, locked.resolve("out.gguf").toString(), "Q8_0");
                assertEquals(1, ro.exitCode());
                assertTrue(ro.err().contains("not writable"), ro.err());
            }
        } finally {
            locked.toFile().setWritable(true);
        }
        CliRunner.Result hf = CliRunner.run("quantize", SharedData.root().resolve("models/safetensors/story-llama-2L-128d").toString(),
                out.toString(), "Q8_0");
        assertEquals(1, hf.exitCode());
        assertTrue(hf.err().contains("llm4j convert"), hf.err());
        CliRunner.Result missing = CliRunner.run("quantize", dir.resolve("nope.gguf").toString(), out.toString(), "Q8_0");
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        try (Stream<Path> left = Files.list(dir)) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().endsWith(".gguf") || p.getFileName().toString().endsWith(".tmp")),
                    "no output or temporary file is left");
        }
    }
}
