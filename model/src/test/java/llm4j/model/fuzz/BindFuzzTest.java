package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import llm4j.loader.ModelFormatException;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.GgufMutator;
import llm4j.testdata.fuzz.Mutation;
import llm4j.testdata.fuzz.ScratchDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mutated shipped models taken all the way: open, configure, bind, size, one forward step. The
 * mix leans on mutations that still parse (hyper-parameters and tensor infos set to extreme
 * values), since those are the ones that reach the configuration and binding checks.
 */
class BindFuzzTest {

    private static final int CASES_PER_MODEL = 60;

    private static ScratchDir scratch;
    private static WorkerPool pool;

    @BeforeAll
    static void setUp() {
        scratch = new ScratchDir("llm4j-bind");
        pool = new WorkerPool(1);
    }

    @AfterAll
    static void tearDown() {
        pool.close();
        scratch.close();
    }

    static List<Path> models() throws IOException {
        try (Stream<Path> files = Files.list(SharedData.root().resolve("models/gguf"))) {
            return files.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void mutatedModelsBindAndRunOrFailCleanly(Path model) throws IOException {
        byte[] original = Files.readAllBytes(model);
        GgufMutator mutator = new GgufMutator(original);
        long seed = FuzzSettings.seed() ^ model.getFileName().toString().hashCode() * 31L;
        Path file = scratch.resolve(model.getFileName().toString());
        Files.write(file, original);
        int loaded = 0;
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(20), ModelFormatException.class)) {
            // the unmutated file must load and run: otherwise every case below would be vacuous
            Exception shipped = cases.check(model.getFileName() + " as shipped", () -> {
                LoadAndStep.run(file, pool);
                return null;
            });
            assertNull(shipped, () -> model.getFileName() + " as shipped was refused: " + shipped.getMessage());
            for (int i = 0; i < FuzzSettings.cases(CASES_PER_MODEL); i++) {
                Random random = new Random(seed + i);
                Mutation m = switch (i % 3) {
                    case 0 -> mutator.extremeScalar(random);
                    case 1 -> mutator.extremeTensorInfo(random);
                    default -> mutator.any(random);
                };
                String what = model.getFileName() + " seed " + seed + " case " + i + ": " + m.description();
                patch(file, m.bytes(), mutator.mutablePrefix());
                Exception e = cases.check(what, () -> {
                    LoadAndStep.run(file, pool);
                    return null;
                });
                if (e == null) {
                    loaded++;
                }
            }
            System.out.printf("%s: %d cases, %d rejected, %d loaded and ran%n", model.getFileName(),
                    cases.total(), cases.rejected(), loaded);
        }
    }

    private static void patch(Path file, byte[] bytes, int prefix) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes, 0, prefix), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
