package llm4j.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from {@code ~/.llm4j/config}, a properties file: a key is an option's long name without
 * dashes ({@code temp = 0.2}, {@code ctx-size = 4096}), or the same prefixed by a command to apply to that
 * command only ({@code chat.temp = 0.7}); {@code model} sets the default model file. Flags given on the
 * command line still win. An unreadable file is ignored with a warning rather than blocking every command.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {

    private final Properties properties = new Properties();

    ConfigDefaults(Path file) {
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(r);
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("llm4j: warning: ignoring " + file + ": " + e.getMessage());
            }
        }
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (properties.isEmpty()) {
            return null;
        }
        String key = arg instanceof OptionSpec o ? o.longestName().replaceFirst("^-+", "")
                : arg.paramLabel().toLowerCase(java.util.Locale.ROOT).replace(".gguf", "");
        String command = arg.command() == null ? null : arg.command().name();
        String value = command == null ? null : properties.getProperty(command + "." + key);
        return value != null ? value.strip() : properties.getProperty(key) == null ? null : properties.getProperty(key).strip();
    }
}
