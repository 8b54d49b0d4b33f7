package llm4j.model.synth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import llm4j.loader.gguf.GgufWriter;
import llm4j.quant.GgmlType;

/**
 * A llama-architecture GGUF with random weights and the exact tensor shapes of a real model: the
 * benchmark models (speed does not depend on weight values). Matrices are N(0, 0.02²) from the seed,
 * norms are 1, embeddings are tied. The file carries the standard keys and tensor names
 * llama.cpp's converter writes, so llama.cpp and llm4j both load it.
 *
 * <p>A matrix's values depend only on the seed and its tensor name, so the Q8_0 and Q4_0 files of one
 * seed are quantizations of the same F32 model, and two runs with the same seed give identical files.
 */
public final class SynthModel {

    public static final float WEIGHT_STD = 0.02f;
    public static final long DEFAULT_SEED = 42;

    /** ChatML, the template of SmolLM2-Instruct's special tokens (without its default system prompt). */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /**
     * What to generate.
     *
     * @param keyOutliers loud key channels ({@link KeyOutliers#NONE}: every weight N(0, 0.02), the benchmark models)
     */
    public record Spec(SynthShape shape, SynthType type, SynthVocabulary vocabulary, long seed, KeyOutliers keyOutliers) {
        public Spec {
            if (vocabulary.size() != shape.vocabSize()) {
                throw new IllegalArgumentException("vocabulary of " + vocabulary.size() + " tokens for shape "
                        + shape.name() + " with " + shape.vocabSize());
            }
            keyOutliers.check(shape.headDim());
        }

        public Spec(SynthShape shape, SynthType type, SynthVocabulary vocabulary, long seed) {
            this(shape, type, vocabulary, seed, KeyOutliers.NONE);
        }

        public Spec withKeyOutliers(KeyOutliers outliers) {
            return new Spec(shape, type, vocabulary, seed, outliers);
        }

        /** With the placeholder vocabulary. */
        public static Spec of(SynthShape shape, SynthType type, long seed) {
            return new Spec(shape, type, SynthVocabulary.placeholder(shape.vocabSize()), seed);
        }
    }

    private SynthModel() {
    }

    /** Generates {@code spec} into {@code out} (atomically) on {@code threads} worker threads. */
    public static void write(Spec spec, Path out, int threads, GgufWriter.Progress progress) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "llm4j-synth");
            t.setDaemon(true);
            return t;
        });
        try {
            writer(spec, pool, threads).write(out, progress);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The complete file description; tensor bytes are generated on {@code pool} while it is written. */
    public static GgufWriter writer(Spec spec, ExecutorService pool, int threads) {
        SynthShape s = spec.shape();
        GgufWriter w = new GgufWriter();
        metadata(w, spec);
        TypePlan plan = new TypePlan(spec.type(), s.layers());
        Matrices m = new Matrices(w, plan, spec.seed(), pool, threads);
        m.add("token_embd.weight", -1, s.dim(), s.vocabSize());
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {s.dim()}, new ConstantVectorSource(s.dim(), 1f));
            m.add(p + "attn_q.weight", l, s.dim(), s.dim());
            String k = p + "attn_k.weight";
            // the loud pairs differ per layer: drawn from the seed and the tensor's name, like its weights
            m.add(k, l, s.dim(), s.kvDim(), spec.keyOutliers().rowGains(s.kvHeads(), s.headDim(),
                    GaussianNoise.derive(spec.seed(), ~(long) k.hashCode())));
            m.add(p + "attn_v.weight", l, s.dim(), s.kvDim());
            m.add(p + "attn_output.weight", l, s.dim(), s.dim());
            w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {s.dim()}, new ConstantVectorSource(s.dim(), 1f));
            m.add(p + "ffn_gate.weight", l, s.dim(), s.hiddenDim());
            m.add(p + "ffn_up.weight", l, s.dim(), s.hiddenDim());
            m.add(p + "ffn_down.weight", l, s.hiddenDim(), s.dim());
        }
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {s.dim()}, new ConstantVectorSource(s.dim(), 1f));
        return w;
    }

    /** Adds random matrices with their planned types and per-name seeds. */
    private record Matrices(GgufWriter w, TypePlan plan, long seed, ExecutorService pool, int threads) {
        void add(String name, int layer, int cols, int rows) {
            add(name, layer, cols, rows, null);
        }

        void add(String name, int layer, int cols, int rows, float[] rowGain) {
            long[] shape = {cols, rows};
            GgmlType type = plan.typeOf(name, shape, layer);
            // String.hashCode is specified by the JLS, so the per-tensor seed is stable everywhere
            long tensorSeed = GaussianNoise.derive(seed, name.hashCode());
            w.addTensor(name, type, shape, new RandomMatrixSource(type, rows, cols, WEIGHT_STD, tensorSeed, pool, threads,
                    rowGain));
        }
    }

    private static void metadata(GgufWriter w, Spec spec) {
        SynthShape s = spec.shape();
        SynthVocabulary v = spec.vocabulary();
        w.putString("general.architecture", "llama");
        w.putString("general.type", "model");
        w.putString("general.name", s.name() + " synthetic " + spec.type());
        w.putString("general.description", s.description() + " tensor shapes with random N(0, " + WEIGHT_STD
                + ") weights (seed " + spec.seed() + ")" + (spec.keyOutliers().none() ? "" : ", " + spec.keyOutliers().describe())
                + ", made by llm4j synth for benchmarks: its output is meaningless");
        w.putUInt32("general.file_type", spec.type().fileType());
        w.putUInt32("general.quantization_version", 2);
        w.putUInt32("llama.block_count", s.layers());
        w.putUInt32("llama.context_length", s.contextLength());
        w.putUInt32("llama.embedding_length", s.dim());
        w.putUInt32("llama.feed_forward_length", s.hiddenDim());
        w.putUInt32("llama.attention.head_count", s.heads());
        w.putUInt32("llama.attention.head_count_kv", s.kvHeads());
        w.putFloat32("llama.rope.freq_base", s.ropeBase());
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putUInt32("llama.vocab_size", s.vocabSize());
        w.putUInt32("llama.rope.dimension_count", s.headDim());
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", v.pre());
        w.putStringArray("tokenizer.ggml.tokens", v.tokens());
        w.putInt32Array("tokenizer.ggml.token_type", v.types());
        w.putStringArray("tokenizer.ggml.merges", v.merges());
        w.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        w.putUInt32("tokenizer.ggml.padding_token_id", v.pad());
        w.putBool("tokenizer.ggml.add_bos_token", v.addBos());
        if (Arrays.asList(v.tokens()).containsAll(java.util.List.of("<|im_start|>", "<|im_end|>"))) {
            w.putString("tokenizer.chat_template", CHATML);
        }
    }
}
