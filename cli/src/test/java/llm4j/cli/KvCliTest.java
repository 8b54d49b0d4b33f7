package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KV cache flags of run and perplexity, and --prompt-cache. */
class KvCliTest {

    private static final String STORIES = SharedData.model("gguf/stories260K.gguf").toString();
    private static final String PROMPT = "Lily and Tom went to the park. They saw a big dog with a red ball.";

    private static CliRunner.Result run(String... extra) {
        String[] base = {"run", STORIES, "-p", PROMPT, "--temp", "0", "-t", "1"};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRunner.run(args);
    }

    private static void assertOneLine(String err, String mentions) {
        String trimmed = err.strip();
        assertFalse(trimmed.contains("\n"), "one line expected: " + err);
        assertTrue(trimmed.startsWith("llm4j: "), err);
        assertTrue(trimmed.contains(mentions), "should mention " + mentions + ": " + err);
        assertFalse(trimmed.contains("Exception"), "no exception names: " + err);
    }

    @Test
    void unknownTypeIsAUsageError() {
        CliRunner.Result r = run("-n", "4", "-ctk", "q3_x");
        assertEquals(2, r.exitCode());
        assertOneLine(r.err(), "unknown KV cache type 'q3_x'");
    }

    @Test
    void capThatIsNotASizeIsAUsageError() {
        CliRunner.Result r = run("-n", "4", "--kv-mem-cap", "lots");
        assertEquals(2, r.exitCode());
        assertOneLine(r.err(), "not a size");
    }

    @Test
    void recentWindowLargerThanTheCapIsAUsageError() {
        CliRunner.Result r = run("-n", "4", "--kv-mem-cap", "64K", "--kv-keep-recent", "1000");
        assertEquals(2, r.exitCode());
        assertOneLine(r.err(), "--kv-keep-recent 1000");
    }

    @Test
    void impossibleCapFailsBeforeGenerating() {
        CliRunner.Result r = run("-n", "2000", "-c", "2048", "--kv-mem-cap", "200K");
        assertEquals(1, r.exitCode());
        assertEquals("", r.out(), "nothing generated");
        assertOneLine(r.err(), "cannot hold");
    }

    @Test
    void statsJsonShowsTheLadderUnderTheCap(@TempDir Path dir) throws Exception {
        Path stats = dir.resolve("stats.json");
        long cap = 220 * 1024;
        CliRunner.Result r = run("-n", "600", "-c", "1024", "--kv-mem-cap", "220K", "--kv-keep-recent", "128",
                "--stats-json", stats.toString(), "--verbose");
        assertEquals(0, r.exitCode(), r.err());
        // identical consecutive layers share one line, so each layer is named exactly once
        assertTrue(r.err().matches("(?s).*kv: layers? 0(-\\d+)? positions f16=.*"), r.err());
        long perLayerLines = r.err().lines().filter(l -> l.startsWith("kv: layer")).count();
        assertTrue(perLayerLines >= 1 && perLayerLines <= 5, r.err());
        JsonNode kv = new ObjectMapper().readTree(stats.toFile()).get("kv_cache");
        assertTrue(kv.get("peak_bytes").asLong() <= cap);
        assertEquals(cap, kv.get("cap_bytes").asLong());
        assertEquals(0, kv.get("evictions").asLong());
        assertTrue(kv.get("requantizations").asLong() > 0);
        assertEquals(640, kv.get("bytes_per_token").get("f16").asLong());
        assertTrue(kv.get("positions_per_rung_per_layer").get(0).get(2).asInt() > 0, "positions at q4_0");
    }

    @Test
    void promptCacheGivesTheSameOutputAndRefusesAnotherModel(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("prompt.kv");
        CliRunner.Result plain = run("-n", "24", "--kv-quant", "q8_0");
        assertEquals(0, plain.exitCode(), plain.err());
        CliRunner.Result first = run("-n", "24", "--kv-quant", "q8_0", "--prompt-cache", cache.toString(), "--verbose");
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(Files.size(cache) > 0);
        assertTrue(first.err().contains("reused 0 of"), first.err());
        CliRunner.Result second = run("-n", "24", "--kv-quant", "q8_0", "--prompt-cache", cache.toString(), "--verbose");
        assertEquals(0, second.exitCode(), second.err());
        // every prompt token but the last (evaluated again for its logits), though the prompt is shorter than
        // the key-smoothing calibration window: the window is saved per position and replayed
        assertTrue(second.err().contains("reused 25 of 26 prompt tokens"), second.err());
        assertEquals(plain.out(), first.out());
        assertEquals(plain.out(), second.out());

        String otherModel = SharedData.model("gguf/stories260K-F16.gguf").toString();
        CliRunner.Result other = CliRunner.run("run", otherModel, "-p", PROMPT, "--temp", "0", "-t", "1", "-n", "4",
                "--kv-quant", "q8_0", "--prompt-cache", cache.toString());
        assertEquals(0, other.exitCode(), other.err());
        assertTrue(other.err().contains("warning: ignoring prompt cache") && other.err().contains("another model"), other.err());
    }

    @Test
    void damagedPromptCacheIsOneLineAndExitOne(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("prompt.kv");
        assertEquals(0, run("-n", "2", "--prompt-cache", cache.toString()).exitCode());
        byte[] good = Files.readAllBytes(cache);

        Files.write(cache, Arrays.copyOf(good, good.length / 2));
        CliRunner.Result truncated = run("-n", "2", "--prompt-cache", cache.toString());
        assertEquals(1, truncated.exitCode());
        assertOneLine(truncated.err(), "truncated");

        byte[] flipped = good.clone();
        flipped[flipped.length - 20] ^= 0x5A;
        Files.write(cache, flipped);
        CliRunner.Result corrupt = run("-n", "2", "--prompt-cache", cache.toString());
        assertEquals(1, corrupt.exitCode());
        assertOneLine(corrupt.err(), "prompt.kv");

        Files.writeString(cache, "not a cache at all");
        CliRunner.Result garbage = run("-n", "2", "--prompt-cache", cache.toString());
        assertEquals(1, garbage.exitCode());
        assertOneLine(garbage.err(), "not an llm4j prompt cache");
    }

    @Test
    void perplexityAcceptsTheKvFlags() {
        String corpus = SharedData.file("golden/corpus.txt").toString();
        CliRunner.Result r = CliRunner.run("perplexity", STORIES, "-f", corpus, "-c", "128", "--chunks", "2", "-t", "1",
                "-ctk", "q4_0", "-ctv", "q8_0", "--kv-rotate", "off", "--kv-mem-cap", "1M", "--kv-overflow", "evict", "-b", "32");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Final estimate: PPL"), r.out());
    }
}
