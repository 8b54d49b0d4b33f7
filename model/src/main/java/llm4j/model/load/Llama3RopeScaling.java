package llm4j.model.load;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Llama 3.1+ RoPE scaling ({@code rope_scaling.rope_type = "llama3"}): long wavelengths are stretched by
 * {@code factor}, short ones kept, and the band between blended smoothly. It reaches the forward pass as one
 * divisor per rotated pair, the same numbers llama.cpp's converter stores as the {@code rope_freqs.weight} tensor,
 * so a Hugging Face folder and its GGUF conversion rotate identically.
 */
record Llama3RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {

    static Llama3RopeScaling of(JsonNode scaling) {
        return new Llama3RopeScaling(
                scaling.path("factor").asDouble(8.0),
                scaling.path("low_freq_factor").asDouble(1.0),
                scaling.path("high_freq_factor").asDouble(4.0),
                scaling.path("original_max_position_embeddings").asInt(8192));
    }

    /** Why these parameters cannot be used, or null when they can. */
    String problem() {
        if (!(factor >= ModelLimits.MIN_ROPE_FACTOR && factor <= ModelLimits.MAX_ROPE_FACTOR)) {
            return "llama3 rope_scaling factor " + factor + " is out of range";
        }
        if (!(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor && Double.isFinite(highFreqFactor))) {
            return "llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor, has " + lowFreqFactor + " and " + highFreqFactor;
        }
        if (originalContext < 1) {
            return "llama3 rope_scaling original_max_position_embeddings must be positive, is " + originalContext;
        }
        return null;
    }

    /** The divisor of each pair's angle, for pairs {@code 0 .. rotDim/2 - 1} of a head rotated with {@code base}. */
    float[] divisors(double base, int rotDim) {
        double lowFreqWavelength = originalContext / lowFreqFactor;
        double highFreqWavelength = originalContext / highFreqFactor;
        float[] out = new float[rotDim / 2];
        for (int i = 0; i < out.length; i++) {
            // the converter computes the frequency in float32 before switching to double: match it
            float freq = (float) (1.0 / Math.pow(base, (float) (2 * i) / rotDim));
            double wavelength = 2 * Math.PI / freq;
            if (wavelength < highFreqWavelength) {
                out[i] = 1f;
            } else if (wavelength > lowFreqWavelength) {
                out[i] = (float) factor;
            } else {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }
}
