package llm4j.testdata.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary folder for fuzz case files, in memory ({@code /dev/shm}) where the machine has it:
 * thousands of rewritten and truncated model files would otherwise queue behind disk writeback,
 * and the suite's time would measure the disk instead of the parser.
 */
public final class ScratchDir implements AutoCloseable {

    private static final Path MEMORY = Path.of("/dev/shm");

    private final Path dir;

    public ScratchDir(String prefix) {
        try {
            dir = Files.isDirectory(MEMORY) && Files.isWritable(MEMORY)
                    ? Files.createTempDirectory(MEMORY, prefix)
                    : Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    public Path path() {
        return dir;
    }

    @Override
    public void close() {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
