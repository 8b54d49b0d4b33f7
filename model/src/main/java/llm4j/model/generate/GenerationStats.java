package llm4j.model.generate;

/** Counts and timings of one prompt + generation, for {@code --verbose} and {@code /stats}. */
public record GenerationStats(int promptTokens, long promptNanos, int generatedTokens, long generateNanos, StopReason stop) {

    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    public double generateTokensPerSecond() {
        return generateNanos == 0 ? 0 : generatedTokens * 1e9 / generateNanos;
    }
}
