package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.model.ModelConfig;
import llm4j.model.load.GgufConfig;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesALoadableModel() throws Exception {
        Path out = dir.resolve("tiny.gguf");
        CliRunner.Result r = CliRunner.run("synth", "tiny", "q4_k_m", out.toString(), "--seed", "3", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("tiny Q4_K_M"), r.out());
        assertTrue(r.err().contains("100%"), "progress on stderr: " + r.err());
        try (ModelFile f = ModelFiles.open(out)) {
            ModelConfig c = GgufConfig.read(f.metadata(), -1);
            assertEquals(256, c.dim());
            assertEquals(15, f.metadata().getInt("general.file_type"));
        }
        assertEquals(1, Files.list(dir).count(), "no temp file left");
    }

    @Test
    void tokenizerLargerThanTheShapesVocabularyIsRefused() {
        Path tokenizer = SharedData.file("models/tokenizers/smollm2-135m-instruct/tokenizer.json");
        Path out = dir.resolve("s.gguf");
        CliRunner.Result bad = CliRunner.run("synth", "tiny", "Q8_0", out.toString(), "--tokenizer", tokenizer.toString());
        assertEquals(1, bad.exitCode(), "tiny's 512-token vocabulary cannot hold SmolLM2's");
        assertOneLine(bad.err(), "does not fit a vocabulary of 512");
        assertFalse(Files.exists(out));
    }

    @Test
    void unknownShapeIsAUsageErrorNamingTheChoices() {
        CliRunner.Result r = CliRunner.run("synth", "gpt-5", "Q8_0", dir.resolve("x.gguf").toString());
        assertEquals(2, r.exitCode());
        assertOneLine(r.err(), "unknown shape 'gpt-5' (choose from smollm2-135m, llama-3.2-1b, tiny)");
    }

    @Test
    void unknownTypeIsAUsageErrorNamingTheChoices() {
        CliRunner.Result r = CliRunner.run("synth", "tiny", "Q7_0", dir.resolve("x.gguf").toString());
        assertEquals(2, r.exitCode());
        assertOneLine(r.err(), "unknown type 'Q7_0' (choose from F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q4_K_M)");
    }

    @Test
    void missingArgumentsAreAUsageError() {
        assertEquals(2, CliRunner.run("synth", "tiny").exitCode());
        assertEquals(2, CliRunner.run("synth", "tiny", "Q8_0", dir.resolve("x.gguf").toString(), "-t", "-1").exitCode());
        assertEquals(2, CliRunner.run("synth", "tiny", "Q8_0", dir.resolve("x.gguf").toString(), "--seed", "abc").exitCode());
    }

    @Test
    void keyOutliersGoIntoTheFileAndBadValuesAreUsageErrors() throws Exception {
        Path out = dir.resolve("loud.gguf");
        CliRunner.Result r = CliRunner.run("synth", "tiny", "F32", out.toString(), "--key-outliers", "2:8", "-t", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("seed 42, key outliers 2:8,"), r.out());
        try (ModelFile f = ModelFiles.open(out)) {
            assertTrue(f.metadata().getString("general.description").contains("2 rotary pairs per KV head of attn_k scaled by 8"));
        }
        String[][] bad = {{"0", "at least 1 pair"}, {"33", "a head of 64 channels has 32 rotary pairs, not 33"},
            {"2:0", "positive"}, {"two", "expected N or N:GAIN"}};
        for (String[] b : bad) {
            CliRunner.Result e = CliRunner.run("synth", "tiny", "F32", dir.resolve("x.gguf").toString(), "--key-outliers", b[0]);
            assertEquals(2, e.exitCode(), b[0]);
            assertOneLine(e.err(), "--key-outliers: ");
            assertTrue(e.err().contains(b[1]), e.err());
        }
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void unwritableOutputIsOneLineAndExitOne() {
        CliRunner.Result r = CliRunner.run("synth", "tiny", "Q8_0", dir.resolve("no/such/dir/x.gguf").toString());
        assertEquals(1, r.exitCode());
        assertOneLine(r.err(), "does not exist");
    }

    @Test
    void missingTokenizerIsOneLineAndExitOne() {
        CliRunner.Result r = CliRunner.run("synth", "tiny", "Q8_0", dir.resolve("x.gguf").toString(), "--tokenizer", dir.resolve("nope.json").toString());
        assertEquals(1, r.exitCode());
        assertOneLine(r.err(), "nope.json");
    }

    private static void assertOneLine(String err, String needle) {
        assertEquals(1, err.strip().lines().count(), "one line expected: " + err);
        assertTrue(err.contains(needle), err);
    }
}
