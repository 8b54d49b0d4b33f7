package llm4j.cli;

import java.nio.file.Path;

/**
 * The per-user folder: {@code $LLM4J_CONFIG_DIR}, else {@code ~/.llm4j} (tests point the system property
 * {@code llm4j.config.dir} elsewhere). It holds {@code config} (option defaults) and {@code history}
 * (the chat's line history).
 */
final class UserConfig {

    private UserConfig() {
    }

    static Path dir() {
        String prop = System.getProperty("llm4j.config.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("LLM4J_CONFIG_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".llm4j");
    }

    static Path configFile() {
        return dir().resolve("config");
    }

    static Path historyFile() {
        return dir().resolve("history");
    }
}
