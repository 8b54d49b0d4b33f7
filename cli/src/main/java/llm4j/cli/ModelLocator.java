package llm4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the model to run when none is named: {@code $LLM4J_MODEL}, then the shared TinyStories
 * model beside the project ({@code ../shared/models/gguf/stories260K.gguf}).
 */
final class ModelLocator {

    static final String DEFAULT_MODEL = "../shared/models/gguf/stories260K.gguf";

    private ModelLocator() {
    }

    static Path resolve(Path given) {
        if (given != null) {
            return given;
        }
        String env = System.getenv("LLM4J_MODEL");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String home = System.getProperty("llm4j.home");
        Path base = home == null ? Path.of("") : Path.of(home);
        Path fallback = base.resolve(DEFAULT_MODEL).normalize();
        if (Files.isRegularFile(fallback)) {
            return fallback;
        }
        throw CliException.usage("no model given: pass a model file (llm4j run MODEL.gguf ...) or set LLM4J_MODEL");
    }
}
