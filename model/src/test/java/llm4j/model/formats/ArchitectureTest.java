package llm4j.model.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.gguf.GgufWriter;
import llm4j.model.ModelConfig;
import llm4j.model.Rope;
import llm4j.model.RopeStyle;
import llm4j.model.Transformer;
import llm4j.model.kv.F32KvCache;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.HfConfig;
import llm4j.model.load.TensorNames;
import llm4j.model.load.WeightBinder;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.GgmlType;
import llm4j.quant.format.HalfFloats;
import llm4j.testdata.TinySafetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistral (sliding window) and Qwen2 (Q/K/V biases, NeoX RoPE) as tiny random models, from GGUF and from
 * safetensors, against a straightforward double-precision forward pass written here with Hugging Face's semantics.
 */
class ArchitectureTest {

    private static final int DIM = 32;
    private static final int HIDDEN = 48;
    private static final int LAYERS = 2;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = DIM / HEADS;
    private static final int VOCAB = 40;
    private static final double EPS = 1e-5;
    private static final double THETA = 10000;
    private static final int[] TOKENS = {3, 17, 5, 22, 9, 31, 1, 8, 14, 27, 6, 11};

    @TempDir
    Path dir;

    /** Random weights in Hugging Face layout: row-major [out][in], named as in a checkpoint. */
    private static Map<String, float[]> weights(long seed, boolean bias) {
        Random rnd = new Random(seed);
        Map<String, float[]> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", gaussian(rnd, VOCAB * DIM, 0.5));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", around1(rnd, DIM));
            w.put(p + "self_attn.q_proj.weight", gaussian(rnd, DIM * DIM, 0.3));
            w.put(p + "self_attn.k_proj.weight", gaussian(rnd, KV_HEADS * HEAD_DIM * DIM, 0.3));
            w.put(p + "self_attn.v_proj.weight", gaussian(rnd, KV_HEADS * HEAD_DIM * DIM, 0.3));
            if (bias) {
                w.put(p + "self_attn.q_proj.bias", gaussian(rnd, DIM, 0.3));
                w.put(p + "self_attn.k_proj.bias", gaussian(rnd, KV_HEADS * HEAD_DIM, 0.3));
                w.put(p + "self_attn.v_proj.bias", gaussian(rnd, KV_HEADS * HEAD_DIM, 0.3));
            }
            w.put(p + "self_attn.o_proj.weight", gaussian(rnd, DIM * DIM, 0.3));
            w.put(p + "post_attention_layernorm.weight", around1(rnd, DIM));
            w.put(p + "mlp.gate_proj.weight", gaussian(rnd, HIDDEN * DIM, 0.3));
            w.put(p + "mlp.up_proj.weight", gaussian(rnd, HIDDEN * DIM, 0.3));
            w.put(p + "mlp.down_proj.weight", gaussian(rnd, DIM * HIDDEN, 0.3));
        }
        w.put("model.norm.weight", around1(rnd, DIM));
        w.put("lm_head.weight", gaussian(rnd, VOCAB * DIM, 0.3));
        return w;
    }

    private static float[] gaussian(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * std);
        }
        return a;
    }

    private static float[] around1(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (1 + 0.2 * rnd.nextGaussian());
        }
        return a;
    }

    // ---- the reference ------------------------------------------------------------------------

    /** Logits of every position, in double, as Hugging Face's LlamaModel/MistralModel/Qwen2Model compute them. */
    private static double[][] reference(Map<String, float[]> w, int[] tokens, int window) {
        int n = tokens.length;
        double[][] x = new double[n][DIM];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < DIM; i++) {
                x[t][i] = w.get("model.embed_tokens.weight")[tokens[t] * DIM + i];
            }
        }
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = rope(linear(w, p + "self_attn.q_proj", h, DIM), HEADS, t);
                k[t] = rope(linear(w, p + "self_attn.k_proj", h, KV_HEADS * HEAD_DIM), KV_HEADS, t);
                v[t] = linear(w, p + "self_attn.v_proj", h, KV_HEADS * HEAD_DIM);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[DIM];
                for (int head = 0; head < HEADS; head++) {
                    int kvHead = head / (HEADS / KV_HEADS);
                    int first = window > 0 ? Math.max(0, t - window + 1) : 0;
                    double[] score = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = first; s <= t; s++) {
                        double dot = 0;
                        for (int i = 0; i < HEAD_DIM; i++) {
                            dot += q[t][head * HEAD_DIM + i] * k[s][kvHead * HEAD_DIM + i];
                        }
                        score[s] = dot / Math.sqrt(HEAD_DIM);
                        max = Math.max(max, score[s]);
                    }
                    double sum = 0;
                    for (int s = first; s <= t; s++) {
                        score[s] = Math.exp(score[s] - max);
                        sum += score[s];
                    }
                    for (int s = first; s <= t; s++) {
                        for (int i = 0; i < HEAD_DIM; i++) {
                            att[head * HEAD_DIM + i] += score[s] / sum * v[s][kvHead * HEAD_DIM + i];
                        }
                    }
                }
                add(x[t], linear(w, p + "self_attn.o_proj", att, DIM));
            }
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], w.get(p + "post_attention_layernorm.weight"));
                double[] gate = linear(w, p + "mlp.gate_proj", h, HIDDEN);
                double[] up = linear(w, p + "mlp.up_proj", h, HIDDEN);
                for (int i = 0; i < HIDDEN; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                add(x[t], linear(w, p + "mlp.down_proj", gate, DIM));
            }
        }
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = linear(w, "lm_head", rmsNorm(x[t], w.get("model.norm.weight")), VOCAB);
        }
        return logits;
    }

    private static double[] linear(Map<String, float[]> w, String prefix, double[] in, int out) {
        float[] m = w.get(prefix + ".weight");
        float[] b = w.get(prefix + ".bias");
        double[] y = new double[out];
        for (int r = 0; r < out; r++) {
            double s = b == null ? 0 : b[r];
            for (int c = 0; c < in.length; c++) {
                s += m[r * in.length + c] * in[c];
            }
            y[r] = s;
        }
        return y;
    }

    private static double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + EPS);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * weight[i];
        }
        return y;
    }

    /** rotate_half: dimension i of a head rotates with i + d/2. */
    private static double[] rope(double[] x, int heads, int pos) {
        double[] y = x.clone();
        int half = HEAD_DIM / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(THETA, -2.0 * i / HEAD_DIM);
                double a = x[h * HEAD_DIM + i];
                double b = x[h * HEAD_DIM + i + half];
                y[h * HEAD_DIM + i] = a * Math.cos(angle) - b * Math.sin(angle);
                y[h * HEAD_DIM + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return y;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    // ---- the model under test -----------------------------------------------------------------

    private static void assertMatchesReference(ModelFile file, ModelConfig c, TensorNames names, double[][] want) throws Exception {
        Transformer tf = new Transformer(c, WeightBinder.bind(file, c, names, null),
                new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), null, c.ropeScale()));
        try (WorkerPool pool = new WorkerPool(2)) {
            var kv = new F32KvCache(c.layers(), 32, c.kvHeads(), c.headDim());
            var state = tf.newState(TOKENS.length, TOKENS.length, pool.threads(), kv);
            tf.forward(state, kv, pool, TOKENS, 0, TOKENS.length, 0, TOKENS.length);
            double worst = 0;
            for (int t = 0; t < TOKENS.length; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    worst = Math.max(worst, Math.abs(state.logits[t * VOCAB + v] - want[t][v]));
                }
            }
            assertTrue(worst < 2e-4, "max |logit - reference| = " + worst);
        }
    }

    private Path safetensorsFolder(String cls, Map<String, float[]> w, int window, boolean useWindow) throws Exception {
        return safetensorsFolder(cls, w, window, useWindow, "F32");
    }

    /** @param dtype F32, or F16/BF16 for the matrices (whose values must already be representable) */
    private Path safetensorsFolder(String cls, Map<String, float[]> w, int window, boolean useWindow, String dtype) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(cls + "-" + dtype));
        TinySafetensors st = new TinySafetensors();
        for (Map.Entry<String, float[]> e : w.entrySet()) {
            long[] shape = hfShape(e.getKey(), e.getValue().length);
            if (dtype.equals("F32") || shape.length == 1) {
                st.f32(e.getKey(), shape, e.getValue());
            } else {
                st.half(e.getKey(), dtype, shape, halfBits(e.getValue(), dtype));
            }
        }
        st.write(folder.resolve("model.safetensors"));
        ObjectNode cfg = new ObjectMapper().createObjectNode();
        cfg.putArray("architectures").add(cls);
        cfg.put("hidden_size", DIM).put("intermediate_size", HIDDEN).put("num_hidden_layers", LAYERS)
                .put("num_attention_heads", HEADS).put("num_key_value_heads", KV_HEADS).put("vocab_size", VOCAB)
                .put("rms_norm_eps", EPS).put("rope_theta", THETA).put("max_position_embeddings", 64).put("hidden_act", "silu");
        if (window > 0) {
            cfg.put("sliding_window", window).put("use_sliding_window", useWindow);
        }
        Files.writeString(folder.resolve("config.json"), cfg.toString());
        return folder;
    }

    private static short[] halfBits(float[] values, String dtype) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = dtype.equals("BF16") ? HalfFloats.floatToBf16(values[i]) : HalfFloats.floatToF16(values[i]);
        }
        return bits;
    }

    /** The weights as the 16-bit file holds them: matrices rounded, 1-D tensors (stored F32) kept. */
    private static Map<String, float[]> rounded(Map<String, float[]> w, String dtype) {
        Map<String, float[]> out = new LinkedHashMap<>();
        w.forEach((name, values) -> {
            if (hfShape(name, values.length).length == 1) {
                out.put(name, values);
                return;
            }
            short[] bits = halfBits(values, dtype);
            float[] back = new float[values.length];
            for (int i = 0; i < back.length; i++) {
                back[i] = dtype.equals("BF16") ? HalfFloats.bf16ToFloat(bits[i]) : HalfFloats.f16ToFloat(bits[i]);
            }
            out.put(name, back);
        });
        return out;
    }

    @Test
    void llamaFromF16AndBf16Safetensors() throws Exception {
        for (String dtype : new String[] {"F16", "BF16"}) {
            Map<String, float[]> w = rounded(weights(6, false), dtype);
            Path folder = safetensorsFolder("LlamaForCausalLM", w, 0, false, dtype);
            ModelConfig c = HfConfig.read(new ObjectMapper().readTree(folder.resolve("config.json").toFile()), folder);
            try (ModelFile f = ModelFiles.open(folder)) {
                assertEquals(dtype.equals("BF16") ? GgmlType.BF16 : GgmlType.F16, f.tensor("lm_head.weight").orElseThrow().type());
                assertMatchesReference(f, c, TensorNames.HF, reference(w, TOKENS, 0));
            }
        }
    }

    private static long[] hfShape(String name, int n) {
        if (name.endsWith("norm.weight") || name.endsWith(".bias")) {
            return new long[] {n};
        }
        int in = name.contains("down_proj") ? HIDDEN : DIM;
        return new long[] {n / in, in};
    }

    /**
     * A GGUF of the same weights under GGUF names; for an adjacent-pair RoPE architecture the Q/K rows are
     * permuted the way llama.cpp's converter does, so the reference (rotate_half on the original rows) still holds.
     */
    private Path gguf(String arch, Map<String, float[]> w, int window, boolean permute) throws Exception {
        GgufWriter g = new GgufWriter();
        g.putString("general.architecture", arch);
        g.putUInt32(arch + ".embedding_length", DIM);
        g.putUInt32(arch + ".feed_forward_length", HIDDEN);
        g.putUInt32(arch + ".block_count", LAYERS);
        g.putUInt32(arch + ".attention.head_count", HEADS);
        g.putUInt32(arch + ".attention.head_count_kv", KV_HEADS);
        g.putUInt32(arch + ".context_length", 64);
        g.putFloat32(arch + ".attention.layer_norm_rms_epsilon", (float) EPS);
        g.putFloat32(arch + ".rope.freq_base", (float) THETA);
        g.putUInt32(arch + ".vocab_size", VOCAB);
        if (window > 0) {
            g.putUInt32(arch + ".attention.sliding_window", window);
        }
        Arena arena = Arena.ofAuto();
        for (Map.Entry<String, float[]> e : w.entrySet()) {
            String name = TensorNames.toGguf(e.getKey(), LAYERS);
            float[] values = e.getValue();
            if (permute && (name.contains("attn_q") || name.contains("attn_k"))) {
                values = permuted(values, name.contains("attn_q") ? HEADS : KV_HEADS, name.endsWith(".bias") ? 1 : DIM);
            }
            long[] hf = hfShape(e.getKey(), values.length);
            long[] shape = hf.length == 1 ? hf : new long[] {hf[1], hf[0]};
            MemorySegment seg = arena.allocate(4L * values.length);
            MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
            g.addTensor(name, GgmlType.F32, shape, sink -> sink.write(seg));
        }
        Path file = dir.resolve(arch + ".gguf");
        g.write(file);
        return file;
    }

    /** llama.cpp's permute: within each head, output row 2i+s is input row s·d/2 + i. */
    private static float[] permuted(float[] rows, int heads, int cols) {
        float[] out = new float[rows.length];
        int perHead = rows.length / cols / heads;
        for (int r = 0; r < rows.length / cols; r++) {
            int head = r / perHead;
            int within = r % perHead;
            int source = head * perHead + (within % 2) * (perHead / 2) + within / 2;
            System.arraycopy(rows, source * cols, out, r * cols, cols);
        }
        return out;
    }

    @Test
    void qwen2FromSafetensors() throws Exception {
        Map<String, float[]> w = weights(1, true);
        Path folder = safetensorsFolder("Qwen2ForCausalLM", w, 4, false);
        ModelConfig c = HfConfig.read(new ObjectMapper().readTree(folder.resolve("config.json").toFile()), folder);
        assertEquals("qwen2", c.architecture());
        assertTrue(c.attentionBias());
        assertEquals(0, c.slidingWindow(), "Qwen2 ignores sliding_window unless use_sliding_window");
        try (ModelFile f = ModelFiles.open(folder)) {
            assertMatchesReference(f, c, TensorNames.HF, reference(w, TOKENS, 0));
        }
    }

    @Test
    void qwen2FromGguf() throws Exception {
        Map<String, float[]> w = weights(2, true);
        try (ModelFile f = ModelFiles.open(gguf("qwen2", w, 0, false))) {
            ModelConfig c = GgufConfig.read(f.metadata(), VOCAB);
            assertEquals(RopeStyle.NEOX, c.ropeStyle());
            assertMatchesReference(f, c, TensorNames.GGUF, reference(w, TOKENS, 0));
        }
    }

    @Test
    void mistralFromSafetensorsUsesItsWindow() throws Exception {
        Map<String, float[]> w = weights(3, false);
        Path folder = safetensorsFolder("MistralForCausalLM", w, 4, false);
        ModelConfig c = HfConfig.read(new ObjectMapper().readTree(folder.resolve("config.json").toFile()), folder);
        assertEquals(4, c.slidingWindow());
        double[][] windowed = reference(w, TOKENS, 4);
        double[][] full = reference(w, TOKENS, 0);
        assertTrue(Math.abs(windowed[TOKENS.length - 1][0] - full[TOKENS.length - 1][0]) > 1e-3, "the window must matter");
        try (ModelFile f = ModelFiles.open(folder)) {
            assertMatchesReference(f, c, TensorNames.HF, windowed);
        }
    }

    @Test
    void mistralFromGgufWithPermutedRows() throws Exception {
        Map<String, float[]> w = weights(4, false);
        try (ModelFile f = ModelFiles.open(gguf("mistral", w, 4, true))) {
            ModelConfig c = GgufConfig.read(f.metadata(), VOCAB);
            assertEquals(RopeStyle.ADJACENT, c.ropeStyle());
            assertEquals(4, c.slidingWindow());
            assertMatchesReference(f, c, TensorNames.GGUF, reference(w, TOKENS, 4));
        }
    }

    @Test
    void unsupportedArchitectureIsNamed() throws Exception {
        Path folder = safetensorsFolder("GPTNeoXForCausalLM", weights(5, false), 0, false);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> HfConfig.read(new ObjectMapper().readTree(folder.resolve("config.json").toFile()), folder));
        assertTrue(e.getMessage().contains("unsupported architecture 'GPTNeoXForCausalLM'"), e.getMessage());
    }
}
