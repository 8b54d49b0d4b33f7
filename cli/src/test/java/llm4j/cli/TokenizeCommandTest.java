package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llm4j tokenize} against the llama.cpp / transformers token goldens, and its failure modes. */
class TokenizeCommandTest {

    private static final String STORIES = SharedData.model("gguf/stories260K.gguf").toString();
    private static final String SMOLLM2 = SharedData.root().resolve("models/tokenizers/smollm2-135m-instruct").toString();

    @TempDir
    Path dir;

    @Test
    void idsMatchTheGoldensOfBothTokenizerKinds() {
        // loading SmolLM2's tokenizer.json takes about a second: few cases per folder
        assertGoldens(STORIES, "golden/tokenizer/stories260k-spm-512.jsonl", 6);
        assertGoldens(SMOLLM2, "golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl", 2);
        assertGoldens(SMOLLM2 + "/tokenizer.json", "golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl", 1);
    }

    private static void assertGoldens(String model, String goldens, int cases) {
        List<JsonNode> records = SharedData.jsonLines(goldens).stream().filter(r -> !r.get("text").asText().isEmpty())
                .limit(cases).toList();
        for (JsonNode record : records) {
            String text = record.get("text").asText();
            CliRunner.Result r = CliRunner.run("tokenize", model, "-p", text, "--ids", "--no-bos", "--no-parse-special");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(Arrays.toString(SharedData.ints(record.get("ids"))), r.out().strip(), model + ": " + text);
        }
        String text = records.getLast().get("text").asText();
        CliRunner.Result count = CliRunner.run("tokenize", model, "-p", text, "--count", "--no-bos", "--no-parse-special");
        assertEquals(String.valueOf(records.getLast().get("ids").size()), count.out().strip());
    }

    @Test
    void defaultListingShowsEachTokenWithBos() {
        CliRunner.Result r = CliRunner.run("tokenize", STORIES, "-p", "Once upon a time");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("     1 -> '<s>'", lines.getFirst());
        assertEquals("   403 -> ' Once'", lines.get(1));
        assertEquals(5, lines.size(), r.out());
    }

    @Test
    void textFromAFileWithInvalidUtf8IsWarnedAboutAndTokenized() throws IOException {
        Path file = dir.resolve("bad.txt");
        Files.write(file, new byte[] {'O', 'n', 'c', 'e', (byte) 0xff, ' ', 'u', 'p'});
        CliRunner.Result r = CliRunner.run("tokenize", STORIES, "-f", file.toString(), "--count", "--verbose");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("not valid UTF-8"), r.err());
        assertTrue(r.err().contains("tokens in"), r.err());
        assertTrue(Integer.parseInt(r.out().strip()) > 2, r.out());
    }

    @Test
    void badInputIsOneLine() throws IOException {
        CliRunner.Result both = CliRunner.run("tokenize", STORIES, "-p", "x", "--ids", "--count");
        assertEquals(2, both.exitCode());
        CliRunner.Result missing = CliRunner.run("tokenize", dir.resolve("nope.gguf").toString(), "-p", "x");
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        Path json = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\"}}");
        CliRunner.Result unigram = CliRunner.run("tokenize", json.toString(), "-p", "x");
        assertEquals(1, unigram.exitCode());
        assertTrue(unigram.err().startsWith("llm4j: " + json) && unigram.err().contains("not supported"), unigram.err());
        Files.writeString(json, "{\"model\": ");
        CliRunner.Result broken = CliRunner.run("tokenize", dir.toString(), "-p", "x");
        assertEquals(1, broken.exitCode());
        assertEquals(1, broken.err().strip().lines().count(), broken.err());
    }
}
