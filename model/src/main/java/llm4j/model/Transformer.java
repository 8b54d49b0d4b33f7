package llm4j.model;

import llm4j.model.kv.KvCache;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.ActivationRounding;
import llm4j.quant.TiledMatMul;

/**
 * The llama forward pass: embeddings, then per block RMSNorm → GQA attention with RoPE → residual →
 * RMSNorm → SwiGLU → residual, then the final norm and the output projection. One code path serves
 * prefill (a batch of tokens) and generation (a batch of one).
 */
public final class Transformer {

    /**
     * A decode step whose attention spans at least this many positions splits each K/V head's positions
     * between the threads (AttentionSegments); below it the per-head items are cheap enough as they are.
     */
    static final int SPLIT_SPAN = 256;

    private final ModelConfig config;
    private final ModelWeights weights;
    private final Rope rope;

    public Transformer(ModelConfig config, ModelWeights weights, Rope rope) {
        this.config = config;
        this.weights = weights;
        this.rope = rope;
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** The rotary embedding; caches need it to renumber positions in a context shift. */
    public Rope rope() {
        return rope;
    }

    /** Buffers for batches of up to {@code maxBatch} tokens attending over {@code kv}. */
    public ForwardState newState(int maxBatch, int maxLogitRows, int threads, KvCache kv) {
        return new ForwardState(config, maxBatch, maxLogitRows, threads, kv.scratchFloats(kv.capacity(), config.groupSize()));
    }

    /**
     * Runs {@code n} tokens at positions {@code pos .. pos+n-1}, storing their keys and values in
     * {@code kv}, and leaves the logits of the last {@code logitRows} tokens in {@code s.logits}.
     */
    public void forward(ForwardState s, KvCache kv, WorkerPool pool, int[] tokens, int tokenOffset, int n, int pos,
                        int logitRows) {
        if (n < 1 || n > s.maxBatch || logitRows > n || logitRows > s.maxLogitRows) {
            throw new IllegalArgumentException("batch of " + n + " with " + logitRows + " logit rows does not fit the state");
        }
        if (kv.reserve(pos, n) != 0) {
            // a shift renumbered the sequence under this call; Session reserves first and passes the new position
            throw new IllegalStateException("the KV cache shifted the context during forward; reserve before forward");
        }
        ModelConfig c = config;
        int dim = c.dim();
        int half = c.ropeDim() / 2;
        for (int t = 0; t < n; t++) {
            weights.tokenEmbedding().lookupRow(tokens[tokenOffset + t], s.x, t * dim);
            rope.angles(pos + t, s.cos, s.sin, t * half);
        }
        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = weights.layers()[l];
            for (int t = 0; t < n; t++) {
                FloatMath.rmsNorm(s.xb, t * dim, s.x, t * dim, w.attnNorm(), dim, c.rmsEps());
            }
            linear(pool, s, w.wq(), s.xb, n, s.q, false);
            linear(pool, s, w.wk(), s.xb, n, s.k, true);
            linear(pool, s, w.wv(), s.xb, n, s.v, true);
            for (int t = 0; t < n; t++) {
                rope.rotate(s.q, t * c.qDim(), c.heads(), c.headDim(), s.cos, s.sin, t * half);
                rope.rotate(s.k, t * c.kvDim(), c.kvHeads(), c.headDim(), s.cos, s.sin, t * half);
                kv.store(l, pos + t, s.k, t * c.kvDim(), s.v, t * c.kvDim());
            }
            ForwardState.AttentionTask a = s.attention;
            a.cache = kv;
            a.layer = l;
            a.startPos = pos;
            a.heads = c.heads();
            a.kvHeads = c.kvHeads();
            a.headDim = c.headDim();
            a.groupSize = c.groupSize();
            a.window = c.slidingWindow();
            a.scale = (float) (1.0 / Math.sqrt(c.headDim()));
            int span = pos + 1 - (a.window > 0 ? Math.max(0, pos + 1 - a.window) : 0);
            a.segments = n == 1 && pool.threads() > 1 && span >= SPLIT_SPAN && kv.attendsInSegments() ? pool.threads() : 1;
            a.batch = n;
            pool.parallelFor(n * c.kvHeads() * a.segments, a);
            if (a.segments > 1) {
                a.mergeSegments();
            }
            linear(pool, s, w.wo(), s.att, n, s.xb2, false);
            FloatMath.add(s.x, 0, s.xb2, 0, n * dim);

            for (int t = 0; t < n; t++) {
                FloatMath.rmsNorm(s.xb, t * dim, s.x, t * dim, w.ffnNorm(), dim, c.rmsEps());
            }
            linear(pool, s, w.gate(), s.xb, n, s.hb, false);
            linear(pool, s, w.up(), s.xb, n, s.hb2, true);
            if (n > 1) {
                // a batch's element-wise work is split between the threads like the products around it
                ForwardState.SwigluTask g = s.swiglu;
                g.gate = s.hb;
                g.up = s.hb2;
                g.cols = c.hiddenDim();
                pool.parallelFor(n, g);
            } else {
                FloatMath.swiglu(s.hb, s.hb2, 0, c.hiddenDim());
            }
            linear(pool, s, w.down(), s.hb, n, s.xb2, false);
            FloatMath.add(s.x, 0, s.xb2, 0, n * dim);
        }
        if (logitRows == 0) {
            return;
        }
        int first = n - logitRows;
        for (int t = 0; t < logitRows; t++) {
            FloatMath.rmsNorm(s.xb, t * dim, s.x, (first + t) * dim, weights.outputNorm(), dim, c.rmsEps());
        }
        linear(pool, s, weights.output(), s.xb, logitRows, s.logits, false);
    }

    /** Chunks per thread for a single token's products (see linear). */
    private static final int DECODE_CHUNKS = 2;

    /**
     * @param sameInput {@code in} is unchanged since the previous call (Q, K and V share the normed input, gate and
     *                  up too): its rounding is reused when the weight types round alike
     */
    private static void linear(WorkerPool pool, ForwardState s, Linear layer, float[] in, int n, float[] out, boolean sameInput) {
        // the activations llama.cpp's products see: 8-bit blocks for quantized weights, halves for F16/BF16
        ActivationRounding rounding = layer.activations();
        if (!sameInput) {
            s.roundedAs = null;
        }
        if (rounding != ActivationRounding.NONE && layer.in() % rounding.blockSize() == 0) {
            if (s.roundedAs != rounding) {
                if (n > 1) {
                    ForwardState.RoundingTask r = s.rounding;
                    r.rounding = rounding;
                    r.in = in;
                    r.out = s.rounded;
                    r.cols = layer.in();
                    pool.parallelFor(n, r);
                } else {
                    rounding.apply(in, 0, s.rounded, 0, layer.in());
                }
                s.roundedAs = rounding;
            }
            in = s.rounded;
        }
        ForwardState.LinearTask task = s.linear;
        task.layer = layer;
        task.in = in;
        task.out = out;
        task.n = n;
        task.unit = layer.weight().tiles(n) ? TiledMatMul.PANEL_ROWS : 1;
        // a decode step's product is a few microseconds per thread: two chunks each instead of four (fewer claims
        // and completions crossing cores) gave 135M Q4_0 and Q8_0 generation at t=2 about +10 % (docs/performance.md)
        pool.parallelFor(Math.ceilDiv(layer.out(), task.unit), task, n == 1 ? DECODE_CHUNKS : WorkerPool.CHUNKS_PER_THREAD);
    }
}
