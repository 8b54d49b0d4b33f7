package llm4j.cli;

import llm4j.model.GenerationDefaults;
import llm4j.model.sample.SamplerSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Sampler flags with llama.cpp's names and defaults, shared by the generating commands. */
public final class SamplingOptions {

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8",
            description = "Temperature; 0 means greedy (always the most likely token). Default: ${DEFAULT-VALUE}.")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40",
            description = "Keep the K most likely tokens; 0 disables. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95",
            description = "Keep the smallest set of tokens whose probability reaches P; 1 disables. Default: ${DEFAULT-VALUE}.")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05",
            description = "Drop tokens less likely than P times the most likely one; 0 disables. Default: ${DEFAULT-VALUE}.")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "F", defaultValue = "1.0",
            description = "Penalise recently seen tokens by this factor; 1 disables. Default: ${DEFAULT-VALUE}.")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "How many recent tokens the repeat penalty looks at. Default: ${DEFAULT-VALUE}.")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "-1",
            description = "Random seed; -1 picks one. Default: ${DEFAULT-VALUE}.")
    long seed;

    /**
     * The settings, where each option the command line did not give takes the model's own default when it ships one
     * (generation_config.json, GGUF general.sampling.*), as llama.cpp does.
     */
    SamplerSettings settings(GenerationDefaults model, CommandLine.ParseResult given) {
        if (!given.hasMatchedOption("--temp") && model.temperature() != null) {
            temperature = model.temperature();
        }
        if (!given.hasMatchedOption("--top-k") && model.topK() != null) {
            topK = model.topK();
        }
        if (!given.hasMatchedOption("--top-p") && model.topP() != null && model.topP() > 0 && model.topP() <= 1) {
            topP = model.topP();
        }
        if (!given.hasMatchedOption("--min-p") && model.minP() != null && model.minP() >= 0 && model.minP() <= 1) {
            minP = model.minP();
        }
        if (!given.hasMatchedOption("--repeat-penalty") && model.repeatPenalty() != null && model.repeatPenalty() > 0) {
            repeatPenalty = model.repeatPenalty();
        }
        if (temperature < 0) {
            temperature = 0; // a model's negative temperature means nothing; greedy is the safe reading
        }
        return settings();
    }

    SamplerSettings settings() {
        return validated(new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed));
    }

    /** {@code s} if every value is in range, else a usage error naming the flag (shared with chat's /set). */
    static SamplerSettings validated(SamplerSettings s) {
        if (s.temperature() < 0 || Float.isNaN(s.temperature())) {
            throw CliException.usage("--temp must be 0 (greedy) or positive, not " + s.temperature());
        }
        if (!(s.topP() > 0 && s.topP() <= 1)) {
            throw CliException.usage("--top-p must be in (0, 1], not " + s.topP());
        }
        if (!(s.minP() >= 0 && s.minP() <= 1)) {
            throw CliException.usage("--min-p must be in [0, 1], not " + s.minP());
        }
        if (!(s.repeatPenalty() > 0)) {
            throw CliException.usage("--repeat-penalty must be positive, not " + s.repeatPenalty());
        }
        if (s.repeatLastN() < 0) {
            throw CliException.usage("--repeat-last-n must be 0 or more, not " + s.repeatLastN());
        }
        return s;
    }
}
