package llm4j.model.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorView;
import llm4j.model.ForwardState;
import llm4j.model.ModelConfig;
import llm4j.model.Rope;
import llm4j.model.Transformer;
import llm4j.model.kv.F32KvCache;
import llm4j.model.kv.KvCache;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.WeightBinder;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SynthModelTest {

    @TempDir
    Path dir;

    private Path synth(SynthType type, long seed, int threads) throws IOException {
        Path out = dir.resolve("tiny-" + type + "-" + seed + "-t" + threads + ".gguf");
        SynthModel.write(SynthModel.Spec.of(SynthShape.TINY, type, seed), out, threads, (done, total) -> { });
        return out;
    }

    /** Every type: the file loads through GgufConfig + WeightBinder and a forward pass gives finite logits. */
    @ParameterizedTest
    @EnumSource(SynthType.class)
    void everyTypeLoadsAndRuns(SynthType type) throws Exception {
        Path file = synth(type, 7, 2);
        try (ModelFile f = ModelFiles.open(file); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = GgufConfig.read(f.metadata(), -1);
            SynthShape s = SynthShape.TINY;
            assertEquals(s.dim(), c.dim());
            assertEquals(s.hiddenDim(), c.hiddenDim());
            assertEquals(s.layers(), c.layers());
            assertEquals(s.heads(), c.heads());
            assertEquals(s.kvHeads(), c.kvHeads());
            assertEquals(s.vocabSize(), c.vocabSize());
            assertEquals(s.ropeBase(), c.ropeBase());
            Transformer tf = new Transformer(c, WeightBinder.bind(f, c), new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), null, c.ropeScale()));
            int[] prompt = {1, 100, 200, 300, 400, 2};
            KvCache kv = new F32KvCache(c.layers(), 16, c.kvHeads(), c.headDim());
            ForwardState st = tf.newState(prompt.length, 1, 2, kv);
            tf.forward(st, kv, pool, prompt, 0, prompt.length, 0, 1);
            float max = 0;
            for (int i = 0; i < c.vocabSize(); i++) {
                assertTrue(Float.isFinite(st.logits[i]), "logit " + i + " = " + st.logits[i]);
                max = Math.max(max, Math.abs(st.logits[i]));
            }
            assertTrue(max > 0, "logits are all zero");
            assertEquals(type.fileType(), f.metadata().getInt("general.file_type"));
            assertEquals(2, f.metadata().getInt("general.quantization_version"));
            for (TensorView t : f.tensors()) {
                GgmlType want = t.dimensions() == 1 ? GgmlType.F32 : new TypePlan(type, s.layers()).typeOf(t.name(), t.shape(), layerOf(t.name()));
                assertEquals(want, t.type(), t.name());
            }
        }
    }

    private static int layerOf(String name) {
        return name.startsWith("blk.") ? Integer.parseInt(name.split("\\.")[1]) : -1;
    }

    @Test
    void sameSeedGivesIdenticalFilesWhateverTheThreadCount() throws IOException {
        Path a = synth(SynthType.Q4_K_M, 11, 1);
        Path b = synth(SynthType.Q4_K_M, 11, 2);
        assertEquals(-1, Files.mismatch(a, b));
        Path other = synth(SynthType.Q4_K_M, 12, 2);
        assertEquals(Files.size(a), Files.size(other));
        assertNotEquals(-1, Files.mismatch(a, other));
    }

    /** Weights are N(0, 0.02), norms 1, and every type quantizes the same underlying values. */
    @Test
    void weightsAreTheSameGaussianInEveryType() throws Exception {
        Path f32 = synth(SynthType.F32, 5, 2);
        Path q8 = synth(SynthType.Q8_0, 5, 2);
        try (ModelFile a = ModelFiles.open(f32); ModelFile b = ModelFiles.open(q8)) {
            float[] w = floats(a.tensor("blk.1.ffn_up.weight").orElseThrow());
            double sum = 0;
            double sq = 0;
            for (float x : w) {
                sum += x;
                sq += x * x;
            }
            double mean = sum / w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            assertEquals(0, mean, 2e-4, "mean");
            assertEquals(0.02, std, 2e-4, "std");
            // a different tensor draws different values
            float[] other = floats(a.tensor("blk.1.ffn_gate.weight").orElseThrow());
            assertNotEquals(w[0], other[0]);

            float[] quantized = floats(b.tensor("blk.1.ffn_up.weight").orElseThrow());
            double err = 0;
            for (int i = 0; i < w.length; i++) {
                err += (w[i] - quantized[i]) * (double) (w[i] - quantized[i]);
            }
            double relRms = Math.sqrt(err / w.length) / std;
            assertTrue(relRms < 0.01, "Q8_0 relative RMS error " + relRms);
            assertArrayEquals(filled(SynthShape.TINY.dim(), 1f), floats(a.tensor("output_norm.weight").orElseThrow()));
            assertArrayEquals(filled(SynthShape.TINY.dim(), 1f), floats(b.tensor("blk.0.attn_norm.weight").orElseThrow()));
            assertTrue(a.tensor("output.weight").isEmpty(), "embeddings are tied");
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static float[] floats(TensorView t) {
        float[] out = new float[(int) t.elementCount()];
        QuantFormats.of(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }

    /** SmolLM2's real vocabulary, merges and specials end up in the file (a narrow model keeps it small). */
    @Test
    void carriesTheRealTokenizer() throws Exception {
        SynthShape narrow = new SynthShape("narrow-49k", "test", 64, 128, 1, 2, 1, 49152, 256, 10_000f, 1e-5f);
        Path tokenizer = llm4j.testdata.SharedData.file("models/tokenizers/smollm2-135m-instruct/tokenizer.json");
        SynthVocabulary vocab = SynthVocabulary.fromHfTokenizer(tokenizer, 49152);
        Path out = dir.resolve("narrow.gguf");
        SynthModel.write(new SynthModel.Spec(narrow, SynthType.Q8_0, vocab, 1), out, 2, (done, total) -> { });
        try (ModelFile f = ModelFiles.open(out)) {
            Metadata md = f.metadata();
            assertArrayEquals(vocab.tokens(), md.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(vocab.merges(), md.getStringArray("tokenizer.ggml.merges"));
            assertArrayEquals(vocab.types(), md.getIntArray("tokenizer.ggml.token_type"));
            assertEquals("<|im_start|>", md.getStringArray("tokenizer.ggml.tokens")[md.getInt("tokenizer.ggml.bos_token_id")]);
            assertEquals("<|im_end|>", md.getStringArray("tokenizer.ggml.tokens")[md.getInt("tokenizer.ggml.eos_token_id")]);
            assertEquals(SynthVocabulary.CONTROL, md.getIntArray("tokenizer.ggml.token_type")[0]);
            assertEquals(false, md.getBool("tokenizer.ggml.add_bos_token", true));
            ModelConfig c = GgufConfig.read(md, -1);
            assertEquals(49152, c.vocabSize());
            WeightBinder.bind(f, c);
        }
    }

    @Test
    void metadataCarriesLlamaCppKeys() throws Exception {
        Path file = synth(SynthType.Q8_0, 3, 2);
        try (ModelFile f = ModelFiles.open(file)) {
            Metadata md = f.metadata();
            assertEquals("llama", md.getString("general.architecture"));
            assertEquals("gpt2", md.getString("tokenizer.ggml.model"));
            assertEquals("smollm", md.getString("tokenizer.ggml.pre"));
            assertEquals(512, md.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(512, md.getIntArray("tokenizer.ggml.token_type").length);
            assertEquals(512 - SynthVocabulary.MIN_SIZE, md.getStringArray("tokenizer.ggml.merges").length);
            assertEquals(64, md.getInt("llama.rope.dimension_count"));
            assertEquals(1e-5f, md.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertTrue(md.getString("tokenizer.chat_template").contains("<|im_start|>"));
            Map<String, Integer> expectedCounts = new HashMap<>();
            for (TensorView t : f.tensors()) {
                expectedCounts.merge(t.name().replaceAll("blk\\.\\d+\\.", "blk.N."), 1, Integer::sum);
            }
            assertEquals(Map.of("token_embd.weight", 1, "output_norm.weight", 1, "blk.N.attn_norm.weight", 2,
                    "blk.N.attn_q.weight", 2, "blk.N.attn_k.weight", 2, "blk.N.attn_v.weight", 2,
                    "blk.N.attn_output.weight", 2, "blk.N.ffn_norm.weight", 2, "blk.N.ffn_gate.weight", 2,
                    "blk.N.ffn_up.weight", 2), withoutDown(expectedCounts));
            assertArrayEquals(new long[] {256, 128}, f.tensor("blk.0.attn_k.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {512, 256}, f.tensor("blk.1.ffn_down.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {256, 512}, f.tensor("token_embd.weight").orElseThrow().shape());
        }
    }

    /**
     * The default file is pinned: this sha256 is of {@code synth tiny F32 --seed 42} written before
     * --key-outliers existed, so the option cannot have moved any default byte (benchmarks and goldens use them).
     */
    @Test
    void defaultFileIsUnchangedByTheOutlierOption() throws Exception {
        Path file = synth(SynthType.F32, 42, 2);
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        assertEquals("673c89de2cdd35a44b21b5163d1c8996795fcbc812f2990fdca1e5b9921ddb03", java.util.HexFormat.of().formatHex(hash));
    }

    /** --key-outliers multiplies whole rotary pairs of attn_k's rows by the gain and touches nothing else. */
    @Test
    void keyOutliersScaleOnlyTheChosenKeyRows() throws Exception {
        Path plain = synth(SynthType.F32, 9, 2);
        Path loud = dir.resolve("loud.gguf");
        KeyOutliers outliers = new KeyOutliers(3, 16f);
        SynthModel.write(SynthModel.Spec.of(SynthShape.TINY, SynthType.F32, 9).withKeyOutliers(outliers), loud, 2, (d, t) -> { });
        SynthShape s = SynthShape.TINY;
        try (ModelFile a = ModelFiles.open(plain); ModelFile b = ModelFiles.open(loud)) {
            assertTrue(b.metadata().getString("general.description").contains("3 rotary pairs per KV head of attn_k scaled by 16"));
            java.util.Set<String> loudRows = new java.util.HashSet<>();
            for (TensorView t : a.tensors()) {
                float[] x = floats(t);
                float[] y = floats(b.tensor(t.name()).orElseThrow());
                if (!t.name().endsWith("attn_k.weight")) {
                    assertArrayEquals(x, y, t.name());
                    continue;
                }
                int cols = s.dim();
                for (int h = 0; h < s.kvHeads(); h++) {
                    int pairs = 0;
                    for (int p = 0; p < s.headDim() / 2; p++) {
                        int row = h * s.headDim() + 2 * p;
                        float gain = y[row * cols] / x[row * cols];
                        for (int r = row; r < row + 2; r++) {
                            for (int c = 0; c < cols; c++) {
                                // exact: a power-of-two gain on F32 values
                                assertEquals(x[r * cols + c] * (gain == 16f ? 16f : 1f), y[r * cols + c], t.name() + " row " + r);
                            }
                        }
                        if (gain == 16f) {
                            pairs++;
                            loudRows.add(t.name().substring(0, 6) + row);
                        }
                    }
                    assertEquals(3, pairs, t.name() + " head " + h);
                }
            }
            assertEquals(2 * s.kvHeads() * 3, loudRows.size());
            // the layers choose their pairs independently
            assertNotEquals(loudRows.stream().filter(r -> r.startsWith("blk.0.")).map(r -> r.substring(6)).sorted().toList(),
                    loudRows.stream().filter(r -> r.startsWith("blk.1.")).map(r -> r.substring(6)).sorted().toList());
        }
    }

    private static Map<String, Integer> withoutDown(Map<String, Integer> m) {
        assertEquals(2, m.remove("blk.N.ffn_down.weight"));
        return m;
    }
}
