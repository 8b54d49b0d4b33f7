package llm4j.model.sample;

/**
 * Sampling settings with llama.cpp's defaults. {@code temperature <= 0} means greedy (argmax);
 * {@code topK <= 0}, {@code topP >= 1} and {@code minP <= 0} disable those filters, and
 * {@code repeatPenalty == 1} disables the penalty.
 */
public record SamplerSettings(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repeatPenalty,
        int repeatLastN,
        long seed) {

    public static final SamplerSettings DEFAULTS = new SamplerSettings(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, -1);

    public static SamplerSettings greedy() {
        return new SamplerSettings(0f, 40, 0.95f, 0.05f, 1.0f, 64, -1);
    }

    public boolean isGreedy() {
        return temperature <= 0f;
    }

    public SamplerSettings withTemperature(float t) {
        return new SamplerSettings(t, topK, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplerSettings withSeed(long s) {
        return new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
    }
}
