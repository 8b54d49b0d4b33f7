package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.TreeSet;

import llm4j.loader.ModelFormatException;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.ScratchDir;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.GgufMutator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shipped model cut short: one byte before, at and after every section boundary (the fixed
 * header, each key/value pair, each tensor info, the start of the data) and at seeded random
 * offsets. A file cut before its tensor data ends can never be loaded, so those cases must be
 * rejected; the only cuts that may load are inside the padding after the last tensor.
 */
class TruncationFuzzTest {

    private static final int RANDOM_CUTS = 60;

    private final ScratchDir scratch = new ScratchDir("llm4j-truncation");
    private final Path dir = scratch.path();

    @AfterEach
    void removeCaseFiles() {
        scratch.close();
    }

    static java.util.List<Path> models() {
        return ShippedModels.all();
    }

    @ParameterizedTest
    @MethodSource("models")
    void truncatedAnywhereIsRejectedCleanly(Path model) {
        byte[] original = ShippedModels.read(model);
        GgufMutator mutator = new GgufMutator(original);
        TreeSet<Long> cuts = new TreeSet<>();
        for (long b : mutator.layout().boundaries()) {
            for (long cut = b - 1; cut <= b + 1; cut++) {
                if (cut >= 0 && cut < original.length) {
                    cuts.add(cut);
                }
            }
        }
        Random random = new Random(FuzzSettings.seed() ^ model.getFileName().toString().hashCode());
        for (int i = 0; i < FuzzSettings.cases(RANDOM_CUTS); i++) {
            cuts.add(random.nextLong(original.length));
        }
        Path file = dir.resolve(model.getFileName());
        OpenProbe.write(file, original);
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            // longest first: each case then only has to shorten the file left by the one before
            for (long cut : cuts.descendingSet()) {
                String what = model.getFileName() + " truncated to " + cut + " bytes";
                Exception e = cases.check(what, OpenProbe.truncateAndProbe(file, cut));
                // the writer pads the last tensor to the alignment, nothing follows it: any cut
                // deeper than one alignment unit removes tensor bytes
                if (cut < original.length - mutator.layout().alignment()) {
                    assertNotNull(e, what + " was accepted");
                }
                if (e != null) {
                    OpenProbe.assertOneLine((ModelFormatException) e, file);
                }
            }
            assertTrue(cases.total() >= cuts.size());
            System.out.printf("%s: %d truncations, %d rejected%n", model.getFileName(), cases.total(), cases.rejected());
        }
    }
}
