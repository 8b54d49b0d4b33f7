package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {

    @Test
    void greedyOutputIsLlamaCppsText() {
        for (JsonNode rec : SharedData.jsonLines("golden/greedy/stories260K-greedy.jsonl")) {
            if (!rec.get("model_variant").asText().equals("F32")) {
                continue;
            }
            String model = SharedData.root().resolve(rec.get("model_file").asText()).toString();
            CliRunner.Result r = CliRunner.run("run", model, "-p", rec.get("prompt").asText(), "-n", "64", "--temp", "0", "-c", "256", "-t", "2");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(rec.get("generated_text").asText(), r.out());
        }
    }

    @Test
    void verbosePrintsTimingsOnStderrOnly() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.run("run", model, "-p", "The little dog", "-n", "8", "--temp", "0", "--verbose");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("eval rate:"), r.err());
        assertFalse(r.out().contains("eval rate"), r.out());
    }

    @Test
    void zeroTokensPrintsNothing() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.run("run", model, "-p", "Once upon a time", "-n", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingModelIsOneLineAndExitOne(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run("run", dir.resolve("nope.gguf").toString(), "-p", "hi");
        assertEquals(1, r.exitCode());
        assertOneLine(r.err(), "nope.gguf");
    }

    @Test
    void nonGgufFileIsRefused(@TempDir Path dir) throws Exception {
        Path bogus = Files.writeString(dir.resolve("bogus.gguf"), "this is not a model");
        CliRunner.Result r = CliRunner.run("run", bogus.toString(), "-p", "hi");
        assertEquals(1, r.exitCode());
        assertOneLine(r.err(), "bogus.gguf");
    }

    @Test
    void truncatedModelIsRefused(@TempDir Path dir) throws Exception {
        byte[] full = Files.readAllBytes(SharedData.model("gguf/stories260K.gguf"));
        Path cut = Files.write(dir.resolve("cut.gguf"), java.util.Arrays.copyOf(full, full.length / 2));
        CliRunner.Result r = CliRunner.run("run", cut.toString(), "-p", "hi");
        assertEquals(1, r.exitCode());
        assertOneLine(r.err(), "cut.gguf");
    }

    @Test
    void promptLongerThanContextIsRefusedBeforeGenerating() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.run("run", model, "-p", "the cat sat on the mat ".repeat(40), "-c", "32");
        assertEquals(1, r.exitCode());
        assertEquals("", r.out());
        assertOneLine(r.err(), "context");
    }

    @Test
    void usageErrorsExitTwo() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        assertEquals(2, CliRunner.run("run", model, "-p", "x", "--temp", "-1").exitCode());
        assertEquals(2, CliRunner.run("run", model, "-p", "x", "-n", "-5").exitCode());
        assertEquals(2, CliRunner.run("run", model, "-p", "x", "-t", "-3").exitCode());
        CliRunner.Result unknown = CliRunner.run("run", model, "--tempp", "0.5");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("--temp"), "suggests the closest flag: " + unknown.err());
        assertEquals(2, CliRunner.run("rnu").exitCode());
    }

    @Test
    void contextFillsWithANotice() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.run("run", model, "-p", "Once upon a time", "-c", "24", "--temp", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("context full"), r.err());
    }

    @Test
    void everyCommandHasHelpWithAnExample() {
        for (String command : new String[] {"run", "perplexity", "synth"}) {
            CliRunner.Result r = CliRunner.run(command, "--help");
            assertEquals(0, r.exitCode(), command + ": " + r.err());
            assertTrue(r.out().contains("Example"), command + " --help shows an example");
        }
        assertEquals(0, CliRunner.run("--version").exitCode());
    }

    private static void assertOneLine(String err, String mentions) {
        String trimmed = err.strip();
        assertFalse(trimmed.contains("\n"), "one line expected: " + err);
        assertTrue(trimmed.startsWith("llm4j: "), err);
        assertTrue(trimmed.contains(mentions), "should mention " + mentions + ": " + err);
        assertFalse(trimmed.contains("Exception"), "no stack trace or exception names: " + err);
    }
}
