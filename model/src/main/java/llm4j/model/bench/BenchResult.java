package llm4j.model.bench;

/**
 * One row of the table: a test at a thread count and KV type, its timed repetitions, and the read
 * bandwidth measured just before it (NaN when not measured).
 *
 * @param bytesPerToken weight bytes a generated token reads ({@link Roofline#bytesPerToken})
 */
public record BenchResult(BenchTest test, int threads, String kvType, int batch, long[] samplesNs,
                          double bandwidth, long bytesPerToken) {

    public BenchResult {
        if (samplesNs.length == 0) {
            throw new IllegalArgumentException("a result needs at least one repetition");
        }
        samplesNs = samplesNs.clone();
    }

    @Override
    public long[] samplesNs() {
        return samplesNs.clone();
    }

    /** Tokens per second of each repetition. */
    public double[] samplesTs() {
        return SampleStats.tokensPerSecond(test.tokens(), samplesNs);
    }

    /** Mean ± sample standard deviation of the repetitions' tokens per second. */
    public SampleStats ts() {
        return SampleStats.of(samplesTs());
    }

    /** Mean ± sample standard deviation of the repetitions' durations in nanoseconds. */
    public SampleStats ns() {
        double[] ns = new double[samplesNs.length];
        for (int i = 0; i < ns.length; i++) {
            ns[i] = samplesNs[i];
        }
        return SampleStats.of(ns);
    }

    public boolean bandwidthMeasured() {
        return bandwidth > 0;
    }

    /** The roofline fraction of a generation row with a measured bandwidth; NaN otherwise (prefill is compute-bound). */
    public double roofline() {
        if (test.kind() != BenchTest.Kind.TG || !bandwidthMeasured()) {
            return Double.NaN;
        }
        return Roofline.fraction(ts().mean(), bytesPerToken, bandwidth);
    }
}
