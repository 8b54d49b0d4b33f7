package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/** {@code llm4j bench} on stories260K with tiny tests: rows, fields, lists and errors; never speeds. */
class BenchCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String model() {
        return SharedData.model("gguf/stories260K.gguf").toString();
    }

    private static List<JsonNode> rows(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("bench", model(), "--json"));
        all.addAll(List.of(args));
        CliRunner.Result r = CliRunner.run(all.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode array = JSON.readTree(r.out());
        assertTrue(array.isArray(), r.out());
        List<JsonNode> rows = new ArrayList<>();
        array.forEach(rows::add);
        return rows;
    }

    @Test
    void tablePrintsAHeaderAndOneRowPerTest() {
        CliRunner.Result r = CliRunner.run("bench", model(), "-p", "8", "-n", "4", "-r", "2", "-t", "1", "--bw-size", "4M");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("\\| model +\\| +size \\| +params \\| type +\\| threads \\| +test \\| +t/s \\| +bw GB/s \\| roofline \\|"), lines.get(0));
        assertTrue(lines.get(1).startsWith("| ---"), lines.get(1));
        List<String> rows = lines.stream().filter(l -> l.startsWith("| llama")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).matches("\\| llama 293K +\\| +1\\.12 MiB \\| +0\\.29 M \\| F32 +\\| +1 \\| +pp8 \\| +\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\| +\\d+\\.\\d \\| +\\|"), rows.get(0));
        assertTrue(rows.get(1).matches(".*\\| +tg4 \\| +\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\| +\\d+\\.\\d \\| +\\d+% \\|"), rows.get(1));
        assertTrue(r.out().contains("weights read per generated token"), r.out());
    }

    /** -p 8,16 -n 4 -t 1,2: per thread count the two pp tests, then the tg test, as llama-bench orders them. */
    @Test
    void commaListsExpandToEveryCombination() throws Exception {
        List<JsonNode> rows = rows("-p", "8,16", "-n", "4", "-t", "1,2", "-r", "2", "--bw-size", "0");
        assertEquals(List.of("1 pp8", "1 pp16", "1 tg4", "2 pp8", "2 pp16", "2 tg4"),
                rows.stream().map(r -> r.get("n_threads").asInt() + " " + r.get("test").asText()).toList());
        for (JsonNode row : rows) {
            assertEquals(2, row.get("samples_ns").size());
            assertEquals(2, row.get("samples_ts").size());
            assertTrue(row.get("avg_ts").asDouble() > 0);
            assertTrue(row.get("bw_gbs").isNull(), "--bw-size 0 skips the measurement");
            assertTrue(row.get("roofline").isNull());
            assertEquals("stories260K.gguf", row.get("model_filename").asText());
            assertEquals(292800, row.get("model_n_params").asLong());
            assertEquals("F32", row.get("weight_type").asText());
            assertEquals("f16", row.get("type_k").asText());
        }
        JsonNode tg = rows.get(2);
        assertEquals(0, tg.get("n_prompt").asInt());
        assertEquals(4, tg.get("n_gen").asInt());
        // avg_ts is the mean of the samples' t/s, each 4 tokens over that sample's nanoseconds
        double t0 = 4e9 / tg.get("samples_ns").get(0).asLong();
        double t1 = 4e9 / tg.get("samples_ns").get(1).asLong();
        assertEquals((t0 + t1) / 2, tg.get("avg_ts").asDouble(), 1e-9 * t0);
        assertEquals(Math.abs(t0 - t1) / Math.sqrt(2), tg.get("stddev_ts").asDouble(), 1e-9 * t0);
    }

    @Test
    void depthsKvTypesAndRooflineInJson() throws Exception {
        List<JsonNode> rows = rows("-p", "8", "-n", "4", "-d", "0,16", "--kv-quant", "f16,q8_0", "-r", "1", "-t", "1", "--bw-size", "2M");
        assertEquals(List.of("f16 pp8", "f16 tg4", "f16 pp8 @ d16", "f16 tg4 @ d16", "q8_0 pp8", "q8_0 tg4", "q8_0 pp8 @ d16", "q8_0 tg4 @ d16"),
                rows.stream().map(r -> r.get("type_k").asText() + " " + r.get("test").asText()).toList());
        for (JsonNode row : rows) {
            assertEquals(row.get("test").asText().contains("@ d16") ? 16 : 0, row.get("n_depth").asInt());
            assertEquals(0.0, row.get("stddev_ts").asDouble(), "one repetition has no deviation");
            double bw = row.get("bw_gbs").asDouble();
            assertTrue(bw > 0, row.toString());
            if (row.get("n_gen").asInt() > 0) {
                double expected = row.get("avg_ts").asDouble() * row.get("bytes_per_token").asLong() / (bw * 1e9);
                assertEquals(expected, row.get("roofline").asDouble(), 1e-9 * expected);
            } else {
                assertTrue(row.get("roofline").isNull(), "prefill has no roofline");
            }
        }
    }

    @Test
    void zeroGeneratedTokensSkipsTheTgTestAndAKvColumnAppearsForOtherTypes() {
        CliRunner.Result r = CliRunner.run("bench", model(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--bw-size", "0", "--kv-quant", "q8_0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().findFirst().orElseThrow().contains("| kv "), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("| llama")).count(), r.out());
        assertFalse(r.out().contains("tg"), r.out());
    }

    @Test
    void zeroPromptTokensSkipsThePpTestLikeLlamaBench() {
        CliRunner.Result r = CliRunner.run("bench", model(), "-p", "0", "-n", "4", "-r", "1", "-t", "1", "--bw-size", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("| llama")).count(), r.out());
        assertTrue(r.out().contains("tg4"), r.out());
        assertFalse(r.out().contains("pp"), r.out());
    }

    @Test
    void badFlagsAreOneLineUsageErrors() {
        String m = model();
        assertUsage(CliRunner.run("bench", m, "-p", "0", "-n", "0"), "-p 0 and -n 0 leave nothing to measure");
        assertUsage(CliRunner.run("bench", m, "-p", "8,-3"), "-p must be 0 (no pp test) or more, not -3");
        assertUsage(CliRunner.run("bench", m, "-n", "-1"), "-n must be 0 (no tg test) or more, not -1");
        assertUsage(CliRunner.run("bench", m, "-t", "0"), "-t must be at least 1, not 0");
        assertUsage(CliRunner.run("bench", m, "-t", "1,-2"), "-t must be at least 1, not -2");
        assertUsage(CliRunner.run("bench", m, "-r", "0"), "-r must be at least 1, not 0");
        assertUsage(CliRunner.run("bench", m, "--warmup", "-1"), "--warmup must not be negative, not -1");
        assertUsage(CliRunner.run("bench", m, "-d", "-5"), "--depth must not be negative, not -5");
        assertUsage(CliRunner.run("bench", m, "--kv-quant", "f16,q9_9"), "unknown KV cache type 'q9_9'");
        assertUsage(CliRunner.run("bench", m, "--bw-size", "lots"), "--bw-size: 'lots' is not a size");
        // stories260K was trained on 2048 positions
        assertUsage(CliRunner.run("bench", m, "-p", "512", "-d", "2000", "--bw-size", "0"),
                "pp512 @ d2000 needs 2512 positions (depth 2000 + 512 tokens), more than the model's context of 2048");
        assertEquals(2, CliRunner.run("bench", m, "-p", "abc").exitCode(), "picocli's own conversion error");
    }

    @Test
    void aMissingModelIsAOneLineFailure() {
        CliRunner.Result r = CliRunner.run("bench", "/no/such/model.gguf");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("/no/such/model.gguf"), r.err());
    }

    private static void assertUsage(CliRunner.Result r, String needle) {
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line expected: " + r.err());
        assertTrue(r.err().contains(needle), r.err());
        assertEquals("", r.out());
    }
}
