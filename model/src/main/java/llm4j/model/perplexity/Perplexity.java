package llm4j.model.perplexity;

import llm4j.model.ForwardState;
import llm4j.model.Transformer;
import llm4j.model.kv.KvCache;
import llm4j.model.parallel.WorkerPool;

/**
 * llama-perplexity's method: the token stream is cut into chunks of {@code ctx} tokens, each chunk's
 * first token is replaced by BOS, the chunk is evaluated from an empty cache, and only its second
 * half is scored (the first half only provides context).
 */
public final class Perplexity {

    /** Receives the log-probabilities of each scored row (for KL-divergence runs). */
    public interface RowSink {
        void row(int chunk, int index, float[] logits, int offset, int vocab, int target);
    }

    /** Told after each chunk, with the perplexity so far (llama-perplexity prints these as {@code [i]ppl}). */
    public interface Progress {
        void chunkDone(int chunk, double runningPpl);
    }

    private final Transformer transformer;
    private final WorkerPool pool;

    public Perplexity(Transformer transformer, WorkerPool pool) {
        this.transformer = transformer;
        this.pool = pool;
    }

    /**
     * @param tokens   the tokenized text, BOS first when the model adds one
     * @param bos      the BOS id to put at each chunk start, or -1 to keep the text's token
     * @param progress told after each chunk, or null
     */
    public PerplexityResult run(int[] tokens, int ctx, int bos, KvCache kv, RowSink sink, Progress progress) {
        return run(tokens, ctx, ctx, bos, kv, sink, progress);
    }

    /**
     * As above, evaluating each chunk in batches of {@code batch} tokens. Results only differ by
     * rounding, except for a cache under a memory cap: between batches it may requantize earlier
     * positions of the chunk, which is how the precision ladder is measured.
     */
    public PerplexityResult run(int[] tokens, int ctx, int batch, int bos, KvCache kv, RowSink sink, Progress progress) {
        int chunks = tokens.length / ctx;
        if (chunks < 1 || ctx < 4) {
            throw new IllegalArgumentException("need at least " + ctx + " tokens for one chunk of " + ctx + ", have " + tokens.length);
        }
        int first = ctx / 2;
        int scored = ctx - 1 - first;
        int vocab = transformer.config().vocabSize();
        int b = Math.max(1, Math.min(batch, ctx));
        ForwardState state = transformer.newState(b, Math.min(b, ctx - first), pool.threads(), kv);
        int[] chunk = new int[ctx];
        double nll = 0;
        double nll2 = 0;
        long count = 0;
        double[] running = new double[chunks];
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(tokens, c * ctx, chunk, 0, ctx);
            if (bos >= 0) {
                chunk[0] = bos;
            }
            for (int start = 0; start < ctx; start += b) {
                int n = Math.min(b, ctx - start);
                int firstRow = Math.max(first, start); // logits are needed from position `first` on
                int rows = Math.max(0, start + n - firstRow);
                transformer.forward(state, kv, pool, chunk, start, n, start, rows);
                for (int r = 0; r < rows; r++) {
                    int j = firstRow + r - first;
                    if (j >= scored) {
                        break;
                    }
                    int target = tokens[c * ctx + first + j + 1];
                    double logProb = logSoftmaxAt(state.logits, r * vocab, vocab, target);
                    nll -= logProb;
                    nll2 += logProb * logProb;
                    if (sink != null) {
                        sink.row(c, j, state.logits, r * vocab, vocab, target);
                    }
                }
            }
            count += scored;
            running[c] = Math.exp(nll / count);
            if (progress != null) {
                progress.chunkDone(c, running[c]);
            }
        }
        double mean = nll / count;
        double ppl = Math.exp(mean);
        double variance = nll2 / count - mean * mean;
        double error = variance > 0 ? Math.sqrt(variance / (count - 1)) * ppl : 0;
        return new PerplexityResult(ppl, error, chunks, ctx, count, running);
    }

    /** {@code log softmax(logits)[target]} computed stably in double. */
    public static double logSoftmaxAt(float[] logits, int offset, int vocab, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + target] - max - Math.log(sum);
    }
}
