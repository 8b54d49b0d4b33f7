package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/**
 * The rows of docs/robustness.md's input and flags table that other CLI tests do not already cover: each odd input
 * has one defined outcome (RunCommandTest and CorruptModelCliTest cover -n 0, prompts longer than the context,
 * invalid UTF-8 in a prompt file, the empty prompt and negative --temp).
 */
class InputFlagsTest {

    private static final String MODEL = SharedData.model("gguf/stories260K.gguf").toString();

    @Test
    void invalidUtf8OnStandardInputIsReplacedWithAWarning() {
        String latin1 = new String(new byte[] {'O', 'n', 'c', 'e', ' ', (byte) 0xe9, (byte) 0xff, ' ', 'u', 'p'},
                StandardCharsets.ISO_8859_1);
        // raw bytes on standard input (CliRunner.runWithInput would encode them as valid UTF-8)
        java.io.InputStream saved = System.in;
        System.setIn(new java.io.ByteArrayInputStream(latin1.getBytes(StandardCharsets.ISO_8859_1)));
        CliRunner.Result r;
        try {
            r = CliRunner.run("run", MODEL, "-n", "3", "--temp", "0");
        } finally {
            System.setIn(saved);
        }
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("not valid UTF-8; invalid bytes were replaced by U+FFFD"), r.err());
        assertFalse(r.out().isEmpty());
    }

    @Test
    void minusOneGeneratesUntilTheContextIsFull() {
        CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once upon a time", "-n", "-1", "-c", "40", "--temp", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("context full after 40 tokens"), r.err());
    }

    @Test
    void moreThreadsThanCoresIsAWarning() {
        int threads = Runtime.getRuntime().availableProcessors() + 3;
        CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once", "-n", "2", "--temp", "0", "-t", String.valueOf(threads));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("llm4j: warning: -t " + threads + " is more than the"), r.err());
        CliRunner.Result zero = CliRunner.run("run", MODEL, "-p", "Once", "-n", "2", "--temp", "0", "-t", "0");
        assertEquals(0, zero.exitCode(), zero.err());
        assertEquals("", zero.err());
    }

    @Test
    void contextBeyondTheTrainedOneIsAWarning() {
        CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once", "-n", "2", "--temp", "0", "-c", "4096");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("llm4j: warning: -c 4096 exceeds the model's trained context of 2048"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void negativeTemperatureIsAUsageError() {
        CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once", "--temp", "-0.5");
        assertEquals(2, r.exitCode());
        assertEquals("llm4j: --temp must be 0 (greedy) or positive, not -0.5", r.err().strip());
    }

    @Test
    void kvCapBelowOnePageIsAUsageError() {
        for (String cap : new String[] {"1", "1K"}) {
            CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once", "-n", "2", "--kv-mem-cap", cap);
            assertEquals(2, r.exitCode(), cap + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("llm4j: a KV cap of "), r.err());
        }
        for (String cap : new String[] {"0", "-5", "100B"}) {
            CliRunner.Result r = CliRunner.run("run", MODEL, "-p", "Once", "-n", "2", "--kv-mem-cap", cap);
            assertEquals(2, r.exitCode(), cap + ": " + r.err());
            assertTrue(r.err().startsWith("llm4j: --kv-mem-cap: '" + cap + "' is not a size"), r.err());
        }
    }

    @Test
    void emptyPromptStartsFromBosAlone() {
        CliRunner.Result empty = CliRunner.run("run", MODEL, "-p", "", "-n", "4", "--temp", "0");
        assertEquals(0, empty.exitCode(), empty.err());
        assertEquals("", empty.err());
        // greedy from BOS alone: the model's favourite opening
        assertTrue(empty.out().strip().startsWith("Once upon a time"), empty.out());
    }
}
