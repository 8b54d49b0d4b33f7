package llm4j.model.perplexity;

import java.util.Arrays;

/**
 * Compares a model's output distributions with a saved base run, row by row: KL(base ‖ model),
 * whether the top token agrees, and the probability each gives the actual next token.
 */
public final class KlDivergence implements Perplexity.RowSink {

    private final LogProbArchive.Base base;
    private final int scoredPerChunk;
    private final float[] baseRow;
    private final float[] modelRow;
    private final double[] klds;
    private int rows;
    private int sameTop;
    private double baseNll;
    private double sumDeltaP;
    private double sumDeltaP2;

    public KlDivergence(LogProbArchive.Base base) {
        this.base = base;
        this.scoredPerChunk = base.ctx() - 1 - base.ctx() / 2;
        this.baseRow = new float[base.vocab()];
        this.modelRow = new float[base.vocab()];
        this.klds = new double[base.chunks() * scoredPerChunk];
    }

    @Override
    public void row(int chunk, int index, float[] logits, int offset, int vocab, int target) {
        long r = (long) chunk * scoredPerChunk + index;
        base.row(r, baseRow);
        LogProbArchive.logSoftmax(logits, offset, vocab, modelRow);
        double kld = 0;
        int baseTop = 0;
        int modelTop = 0;
        for (int i = 0; i < vocab; i++) {
            double p = Math.exp(baseRow[i]);
            kld += p * (baseRow[i] - modelRow[i]);
            if (baseRow[i] > baseRow[baseTop]) {
                baseTop = i;
            }
            if (modelRow[i] > modelRow[modelTop]) {
                modelTop = i;
            }
        }
        klds[rows++] = kld;
        if (baseTop == modelTop) {
            sameTop++;
        }
        baseNll -= baseRow[target];
        double deltaP = Math.exp(modelRow[target]) - Math.exp(baseRow[target]);
        sumDeltaP += deltaP;
        sumDeltaP2 += deltaP * deltaP;
    }

    /** The summary once every row has been seen. */
    public Result result() {
        double[] sorted = Arrays.copyOf(klds, rows);
        Arrays.sort(sorted);
        double mean = Arrays.stream(sorted).average().orElse(0);
        double var = Arrays.stream(sorted).map(k -> (k - mean) * (k - mean)).sum() / Math.max(1, rows - 1);
        double meanDp = sumDeltaP / rows;
        return new Result(rows, mean, Math.sqrt(var / rows),
                percentile(sorted, 100), percentile(sorted, 99.9), percentile(sorted, 99), percentile(sorted, 95),
                percentile(sorted, 50), percentile(sorted, 10), percentile(sorted, 5), percentile(sorted, 1),
                percentile(sorted, 0), 100.0 * sameTop / rows, Math.exp(baseNll / rows),
                100 * meanDp, 100 * Math.sqrt(sumDeltaP2 / rows));
    }

    private static double percentile(double[] sorted, double pct) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.round(pct / 100 * (sorted.length - 1));
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** KL-divergence statistics; probabilities in percent. */
    public record Result(int rows, double meanKld, double meanKldError, double max, double p999, double p99, double p95,
                         double median, double p10, double p5, double p1, double min, double sameTopPercent,
                         double basePpl, double meanDeltaPPercent, double rmsDeltaPPercent) {
    }
}
