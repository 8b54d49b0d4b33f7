package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;

import llm4j.loader.ModelFormatException;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.ScratchDir;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random bytes, and random bytes behind a valid GGUF magic and version (so the parser gets past
 * the first check and must survive whatever counts and lengths follow). Plain random bytes are
 * never a model and must be rejected; behind a valid header they must load or be rejected, cleanly
 * and in time.
 */
class RandomBytesPropertyTest {

    private static ScratchDir dir;
    private static FuzzCases cases;

    @BeforeContainer
    static void setUp() {
        dir = new ScratchDir("llm4j-random-bytes");
        cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class);
    }

    @AfterContainer
    static void tearDown() {
        cases.close();
        dir.close();
    }

    @Property(tries = 400, seed = "20240611")
    void randomBytesAreRejected(@ForAll @Size(max = 300) byte[] bytes) {
        expectRejected("random " + bytes.length + " bytes", bytes);
    }

    @Property(seed = "20240612") // tries: jqwik.tries.default, set by the fuzz execution
    void randomHeadersAreRejected(@ForAll @IntRange(min = 2, max = 3) int version,
                                  @ForAll long tensorCount, @ForAll long kvCount,
                                  @ForAll @Size(max = 400) byte[] tail) {
        ByteBuffer file = ByteBuffer.allocate(24 + tail.length).order(ByteOrder.LITTLE_ENDIAN);
        file.put((byte) 'G').put((byte) 'G').put((byte) 'U').put((byte) 'F');
        file.putInt(version).putLong(tensorCount).putLong(kvCount).put(tail);
        String what = "v" + version + " tensors " + tensorCount + " kvs " + kvCount + " + " + tail.length + " bytes";
        Path path = dir.resolve("case.gguf");
        // a tail can happen to spell a valid pair (an empty key with a uint8 value): success is allowed
        Exception e = cases.check(what, OpenProbe.openAndProbe(path, file.array()));
        if (e != null) {
            OpenProbe.assertOneLine((ModelFormatException) e, path);
        }
    }

    private void expectRejected(String what, byte[] bytes) {
        Path file = dir.resolve("case.bin");
        Exception e = cases.check(what, OpenProbe.openAndProbe(file, bytes));
        assertNotNull(e, what + " was accepted");
        OpenProbe.assertOneLine((ModelFormatException) e, file);
    }
}
