package llm4j.loader.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import llm4j.testdata.SharedData;

/** The GGUF files shipped in {@code shared/models/gguf}: the seeds every mutation starts from. */
final class ShippedModels {

    private ShippedModels() {
    }

    /** Every shipped GGUF file, sorted by name so that case numbers are stable. */
    static List<Path> all() {
        Path dir = SharedData.root().resolve("models/gguf");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path model) {
        try {
            return Files.readAllBytes(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
