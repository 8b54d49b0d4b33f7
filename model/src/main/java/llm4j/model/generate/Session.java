package llm4j.model.generate;

import llm4j.model.ForwardState;
import llm4j.model.ModelConfig;
import llm4j.model.Transformer;
import llm4j.model.kv.KvCache;
import llm4j.model.parallel.WorkerPool;

/**
 * One sequence being evaluated: the model, its KV cache and activation buffers, and the position
 * reached. Prompts are fed in batches of up to {@code batchSize} tokens; generation feeds one.
 */
public final class Session {

    private final Transformer transformer;
    private final KvCache kv;
    private final WorkerPool pool;
    private final ForwardState state;
    private final int batchSize;
    private final int vocab;
    private final int[] oneToken = new int[1];
    private int position;

    public Session(Transformer transformer, KvCache kv, WorkerPool pool, int batchSize) {
        this.transformer = transformer;
        this.kv = kv;
        this.pool = pool;
        this.batchSize = Math.max(1, Math.min(batchSize, kv.capacity()));
        this.vocab = transformer.config().vocabSize();
        this.state = transformer.newState(this.batchSize, 1, pool.threads(), kv);
    }

    public ModelConfig config() {
        return transformer.config();
    }

    public KvCache kv() {
        return kv;
    }

    /** Tokens evaluated so far (the next position). */
    public int position() {
        return position;
    }

    public int capacity() {
        return kv.capacity();
    }

    /** Continues after {@code positions} tokens the cache already holds (a restored prompt cache). */
    public void resumeAt(int positions) {
        if (positions < 0 || positions > kv.capacity()) {
            throw new IllegalArgumentException("cannot resume at " + positions);
        }
        position = positions;
    }

    /** Forgets everything evaluated (the cache is overwritten from position 0). */
    public void reset() {
        position = 0;
    }

    /** Logits after the last evaluated token. */
    public float[] logits() {
        return state.logits;
    }

    public int vocabSize() {
        return vocab;
    }

    /** Evaluates {@code tokens[off .. off+n)} in batches; afterwards {@link #logits()} predicts the next token. */
    public void feed(int[] tokens, int off, int n) {
        if (position + n > kv.capacity()) {
            throw new ContextFullException(position + n, kv.capacity());
        }
        for (int done = 0; done < n; ) {
            int b = Math.min(batchSize, n - done);
            transformer.forward(state, kv, pool, tokens, off + done, b, position, 1);
            position += b;
            done += b;
        }
    }

    public void feed(int token) {
        if (position + 1 > kv.capacity()) {
            throw new ContextFullException(position + 1, kv.capacity());
        }
        oneToken[0] = token;
        transformer.forward(state, kv, pool, oneToken, 0, 1, position, 1);
        position++;
    }
}
