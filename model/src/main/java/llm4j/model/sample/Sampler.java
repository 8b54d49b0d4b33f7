package llm4j.model.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits in llama.cpp's default order: repetition penalty, top-k, top-p,
 * min-p, temperature, then a draw. With temperature 0 it is plain argmax (first index on ties).
 * Buffers are sized once for the vocabulary.
 */
public final class Sampler {

    private final SamplerSettings settings;
    private final SplittableRandom random;
    private final int[] history;
    private int historyLength;
    private int historyNext;
    private final long[] keys;
    private final float[] probs;
    private final int[] ids;

    public Sampler(SamplerSettings settings, int vocabSize) {
        this.settings = settings;
        long seed = settings.seed() < 0 ? System.nanoTime() : settings.seed();
        this.random = new SplittableRandom(seed);
        this.history = new int[Math.max(0, settings.repeatLastN())];
        this.keys = new long[vocabSize];
        this.probs = new float[vocabSize];
        this.ids = new int[vocabSize];
    }

    public SamplerSettings settings() {
        return settings;
    }

    /** Records a token (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (history.length == 0) {
            return;
        }
        history[historyNext] = token;
        historyNext = (historyNext + 1) % history.length;
        historyLength = Math.min(historyLength + 1, history.length);
    }

    /** Chooses a token from {@code logits[offset .. offset + vocab)}; the logits are modified. */
    public int sample(float[] logits, int offset, int vocab) {
        applyRepeatPenalty(logits, offset);
        if (settings.isGreedy()) {
            return argmax(logits, offset, vocab);
        }
        int n = selectTopK(logits, offset, vocab, settings.topK() > 0 ? Math.min(settings.topK(), vocab) : vocab);
        n = topP(logits, offset, n);
        n = minP(logits, offset, n);
        // temperature, then softmax over the survivors and a draw
        float max = logits[offset + ids[0]] / settings.temperature();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp(logits[offset + ids[i]] / settings.temperature() - max);
            probs[i] = p;
            sum += p;
        }
        double r = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += probs[i];
            if (r < acc) {
                return ids[i];
            }
        }
        return ids[n - 1];
    }

    /**
     * Puts the ids of the {@code k} largest logits into {@code ids}, sorted by logit descending and
     * by id on ties; a bounded max-heap of sort keys keeps this O(vocab log k).
     */
    private int selectTopK(float[] logits, int offset, int vocab, int k) {
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            long key = sortKey(logits[offset + i], i);
            if (size < k) {
                keys[size] = key;
                siftUp(size++);
            } else if (key < keys[0]) {
                keys[0] = key;
                siftDown(k);
            }
        }
        Arrays.sort(keys, 0, size);
        for (int i = 0; i < size; i++) {
            ids[i] = (int) keys[i];
        }
        return size;
    }

    /** Orders candidates by logit descending, then id ascending, as one signed long. */
    private static long sortKey(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ascending << 32) | (id & 0xffffffffL);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] >= keys[i]) {
                return;
            }
            swap(parent, i);
            i = parent;
        }
    }

    private void siftDown(int size) {
        int i = 0;
        while (true) {
            int largest = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < size && keys[l] > keys[largest]) {
                largest = l;
            }
            if (r < size && keys[r] > keys[largest]) {
                largest = r;
            }
            if (largest == i) {
                return;
            }
            swap(i, largest);
            i = largest;
        }
    }

    private void swap(int a, int b) {
        long t = keys[a];
        keys[a] = keys[b];
        keys[b] = t;
    }

    /** Keeps the smallest prefix of candidates whose probability mass reaches top-p (at least one). */
    private int topP(float[] logits, int offset, int n) {
        if (settings.topP() >= 1f) {
            return n;
        }
        double sum = softmaxInto(logits, offset, n);
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += probs[i] / sum;
            if (acc >= settings.topP()) {
                return i + 1;
            }
        }
        return n;
    }

    /** Drops candidates whose probability is below min-p times the best one's. */
    private int minP(float[] logits, int offset, int n) {
        if (settings.minP() <= 0f) {
            return n;
        }
        softmaxInto(logits, offset, n);
        float threshold = probs[0] * settings.minP();
        int kept = 1;
        while (kept < n && probs[kept] >= threshold) {
            kept++;
        }
        return kept;
    }

    /** Unnormalised probabilities of the first n candidates into {@code probs}; returns their sum. */
    private double softmaxInto(float[] logits, int offset, int n) {
        float max = logits[offset + ids[0]];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = (float) Math.exp(logits[offset + ids[i]] - max);
            sum += probs[i];
        }
        return sum;
    }

    private void applyRepeatPenalty(float[] logits, int offset) {
        float penalty = settings.repeatPenalty();
        if (penalty == 1f || historyLength == 0) {
            return;
        }
        // each distinct recent token is penalised once, as llama.cpp does
        int[] seen = Arrays.copyOf(history, historyLength);
        Arrays.sort(seen);
        for (int i = 0; i < seen.length; i++) {
            if (i > 0 && seen[i] == seen[i - 1]) {
                continue;
            }
            int idx = offset + seen[i];
            logits[idx] = logits[idx] > 0 ? logits[idx] / penalty : logits[idx] * penalty;
        }
    }

    private static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
