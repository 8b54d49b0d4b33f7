package llm4j.model.bench;

/**
 * Mean and sample standard deviation (n - 1 in the denominator, as llama-bench reports them) of the
 * repetitions' tokens per second. One sample has a deviation of 0.
 */
public record SampleStats(double mean, double sd) {

    public static SampleStats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double sum = 0;
        for (double s : samples) {
            sum += s;
        }
        double mean = sum / samples.length;
        if (samples.length == 1) {
            return new SampleStats(mean, 0);
        }
        double squares = 0;
        for (double s : samples) {
            squares += (s - mean) * (s - mean);
        }
        return new SampleStats(mean, Math.sqrt(squares / (samples.length - 1)));
    }

    /** Tokens per second of each run: {@code tokens} tokens in {@code nanos[i]} nanoseconds. */
    public static double[] tokensPerSecond(int tokens, long[] nanos) {
        double[] ts = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            ts[i] = tokens * 1e9 / nanos[i];
        }
        return ts;
    }
}
