package llm4j.loader.fuzz;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import llm4j.loader.ModelFormatException;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.ScratchDir;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.GgufMutator;
import llm4j.testdata.fuzz.Mutation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded bit flips and byte overwrites in the header, metadata and tensor infos of every shipped
 * model, and extreme values (huge, negative, past the end) written into its counts, lengths, type
 * ids, dimensions and offsets. Each case must load or fail with a one-line ModelFormatException,
 * within its deadline and without exhausting the heap.
 */
class MutationFuzzTest {

    private static final int CASES_PER_MODEL = 160;

    private final ScratchDir scratch = new ScratchDir("llm4j-mutation");
    private final Path dir = scratch.path();

    @AfterEach
    void removeCaseFiles() {
        scratch.close();
    }

    static List<Path> models() {
        return ShippedModels.all();
    }

    @ParameterizedTest
    @MethodSource("models")
    void mutatedHeadersLoadOrFailCleanly(Path model) {
        byte[] original = ShippedModels.read(model);
        GgufMutator mutator = new GgufMutator(original);
        long seed = FuzzSettings.seed() ^ model.getFileName().toString().hashCode();
        Path file = dir.resolve(model.getFileName());
        OpenProbe.write(file, original);
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (int i = 0; i < FuzzSettings.cases(CASES_PER_MODEL); i++) {
                // one Random per case: a failing case replays from (seed, i) alone
                Mutation m = mutator.any(new Random(seed + i));
                String what = model.getFileName() + " seed " + seed + " case " + i + ": " + m.description();
                Exception e = cases.check(what, OpenProbe.patchAndProbe(file, m.bytes(), mutator.mutablePrefix()));
                if (e != null) {
                    OpenProbe.assertOneLine((ModelFormatException) e, file);
                }
            }
            System.out.printf("%s: %d mutations, %d rejected%n", model.getFileName(), cases.total(), cases.rejected());
        }
    }
}
