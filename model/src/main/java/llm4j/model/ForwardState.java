package llm4j.model;

import llm4j.model.kv.AttentionSegments;
import llm4j.model.kv.KvCache;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.RangeTask;
import llm4j.quant.ActivationRounding;

/**
 * Activation buffers for batches of up to {@code maxBatch} tokens, plus the reusable parallel tasks
 * that work on them: nothing is allocated per token.
 */
public final class ForwardState {

    final int maxBatch;
    final int maxLogitRows;
    final float[] x;
    final float[] xb;
    final float[] xb2;
    final float[] q;
    final float[] k;
    final float[] v;
    final float[] att;
    final float[] hb;
    final float[] hb2;
    final float[] cos;
    final float[] sin;
    final float[][] scores;
    /** Segments of a split decode step's attention: unnormalized sums per (head, segment) and their (max, Σ). */
    final float[] segmentSums;
    final float[] segmentStats;
    /** A Linear's input rounded as ggml rounds activations for its weight type (see {@code ActivationRounding}). */
    final float[] rounded;
    /** How {@link #rounded} holds the current input, or null when it holds no current input. */
    ActivationRounding roundedAs;
    /** Logits of the last forward pass: {@code logitRows} rows of {@code vocabSize}. */
    public final float[] logits;

    final LinearTask linear = new LinearTask();
    final RoundingTask rounding = new RoundingTask();
    final SwigluTask swiglu = new SwigluTask();
    final AttentionTask attention = new AttentionTask();

    ForwardState(ModelConfig c, int maxBatch, int maxLogitRows, int threads, int scratchFloats) {
        this.maxBatch = maxBatch;
        this.maxLogitRows = maxLogitRows;
        this.x = new float[maxBatch * c.dim()];
        this.xb = new float[maxBatch * Math.max(c.dim(), c.qDim())];
        this.xb2 = new float[maxBatch * c.dim()];
        this.q = new float[maxBatch * c.qDim()];
        this.k = new float[maxBatch * c.kvDim()];
        this.v = new float[maxBatch * c.kvDim()];
        this.att = new float[maxBatch * c.qDim()];
        this.hb = new float[maxBatch * c.hiddenDim()];
        this.hb2 = new float[maxBatch * c.hiddenDim()];
        this.cos = new float[maxBatch * (c.ropeDim() / 2)];
        this.sin = new float[maxBatch * (c.ropeDim() / 2)];
        this.scores = new float[threads][scratchFloats];
        this.segmentSums = new float[threads * c.qDim()];
        this.segmentStats = new float[threads * c.heads() * 2];
        this.rounded = new float[maxBatch * Math.max(Math.max(c.dim(), c.qDim()), c.hiddenDim())];
        this.logits = new float[maxLogitRows * c.vocabSize()];
    }

    /** {@code y = W x} for {@code n} stacked inputs, split by output rows. */
    static final class LinearTask implements RangeTask {
        Linear layer;
        float[] in;
        float[] out;
        int n;
        /** Output rows per range unit: a batch's row ranges start at panel boundaries (TiledMatMul.PANEL_ROWS). */
        int unit;

        @Override
        public void run(int from, int to, int worker) {
            layer.forward(in, n, out, from * unit, Math.min(to * unit, layer.out()));
        }
    }

    /** A batch's activation rounding, split by tokens (each token's blocks are rounded on their own). */
    static final class RoundingTask implements RangeTask {
        ActivationRounding rounding;
        float[] in;
        float[] out;
        int cols;

        @Override
        public void run(int from, int to, int worker) {
            rounding.apply(in, from * cols, out, from * cols, (to - from) * cols);
        }
    }

    /** A batch's SwiGLU, split by tokens. */
    static final class SwigluTask implements RangeTask {
        float[] gate;
        float[] up;
        int cols;

        @Override
        public void run(int from, int to, int worker) {
            FloatMath.swiglu(gate, up, from * cols, (to - from) * cols);
        }
    }

    /**
     * Causal attention for every (token, K/V head) pair of the batch; each item serves the query
     * heads that share the K/V head, so their stored keys and values are read once.
     */
    final class AttentionTask implements RangeTask {
        KvCache cache;
        int layer;
        int startPos;
        int heads;
        int kvHeads;
        int headDim;
        int groupSize;
        int window;
        float scale;

        /** 1, or for a decode step over a long span the number of position segments per K/V head. */
        int segments;
        /** Tokens in the batch. */
        int batch;

        @Override
        public void run(int from, int to, int worker) {
            float[] scratch = scores[worker];
            for (int item = from; item < to; item++) {
                // causal attention: later tokens cost more, so the first items (claimed first) are the last tokens and
                // the threads finish on the cheap ones instead of one thread on the dearest chunk
                int t = batch - 1 - item / (kvHeads * segments);
                int kvHead = item / segments % kvHeads;
                int pos = startPos + t;
                int first = window > 0 ? Math.max(0, pos + 1 - window) : 0;
                int qOff = (t * heads + kvHead * groupSize) * headDim;
                if (segments == 1) {
                    cache.attendGroup(layer, kvHead, groupSize, headDim, q, qOff, first, pos + 1, scale, scratch, att, qOff);
                } else {
                    int segment = item % segments;
                    int span = pos + 1 - first;
                    int lo = first + (int) ((long) span * segment / segments);
                    int hi = first + (int) ((long) span * (segment + 1) / segments);
                    int at = (kvHead * segments + segment) * groupSize;
                    cache.attendGroupSegment(layer, kvHead, groupSize, headDim, q, qOff, lo, hi, scale, scratch,
                            segmentSums, at * headDim, segmentStats, 2 * at);
                }
            }
        }

        /** After a split step: each K/V head's segments merged into {@code att}. */
        void mergeSegments() {
            int block = segments * groupSize;
            for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
                AttentionSegments.merge(segmentSums, segmentStats, segments, groupSize, headDim, att, kvHead * groupSize * headDim,
                        kvHead * block * headDim, 2 * kvHead * block);
            }
        }
    }
}
