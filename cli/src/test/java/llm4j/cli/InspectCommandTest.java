package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/** {@code inspect} against the files' own headers and ggml's dequantization goldens. */
class InspectCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> shippedModels() throws IOException {
        try (Stream<Path> s = Files.list(SharedData.root().resolve("models/gguf"))) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    /** golden/dequant names the F32 stories file stories260K-F32. */
    static Path golden(Path model) {
        String name = model.getFileName().toString().replace(".gguf", "");
        return SharedData.root().resolve("golden/dequant/" + (name.equals("stories260K") ? "stories260K-F32" : name) + ".jsonl");
    }

    static JsonNode inspect(String... args) throws IOException {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
        return JSON.readTree(r.out());
    }

    @Test
    void jsonMatchesEveryShippedFile() throws Exception {
        for (Path model : shippedModels()) {
            JsonNode root = inspect("inspect", model.toString(), "--json");
            // counts from the header bytes themselves: magic, version, tensor count, key/value count
            ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            try (InputStream in = Files.newInputStream(model)) {
                header.put(in.readNBytes(24)).flip();
            }
            header.getInt();
            assertEquals(header.getInt(), root.get("gguf_version").asInt());
            assertEquals(header.getLong(), root.get("tensors").size(), model + " tensor count");
            assertEquals(header.getLong(), root.get("metadata").size(), model + " key/value count");
            assertEquals(Files.size(model), root.get("file_size").asLong());
            Path golden = golden(model);
            if (!Files.exists(golden)) {
                continue; // llama-2-tiny-random has no dequant golden
            }
            List<JsonNode> expected = SharedData.jsonLines(SharedData.root().relativize(golden).toString());
            assertEquals(expected.size(), root.get("tensors").size(), model.toString());
            long dataOffset = root.get("data_offset").asLong();
            long params = 0;
            for (int i = 0; i < expected.size(); i++) {
                JsonNode want = expected.get(i);
                JsonNode got = root.get("tensors").get(i);
                String where = model.getFileName() + " " + want.get("name").asText();
                assertEquals(want.get("name").asText(), got.get("name").asText(), where);
                assertEquals(want.get("type").asText().toLowerCase(Locale.ROOT), got.get("type").asText(), where);
                long elements = 1;
                for (int d = 0; d < 4; d++) {
                    long ne = want.get("ne").get(d).asLong();
                    assertEquals(ne, d < got.get("shape").size() ? got.get("shape").get(d).asLong() : 1, where + " ne[" + d + "]");
                    elements *= ne;
                }
                assertEquals(elements, got.get("elements").asLong(), where);
                assertEquals(want.get("offset").asLong(), got.get("offset").asLong() - dataOffset, where + " offset");
                params += elements;
            }
            assertEquals(params, root.get("summary").get("parameters").asLong());
        }
    }

    @Test
    void dumpGivesGgmlsFirstValues() throws Exception {
        for (Path model : shippedModels()) {
            Path golden = golden(model);
            if (!Files.exists(golden)) {
                continue;
            }
            List<JsonNode> tensors = SharedData.jsonLines(SharedData.root().relativize(golden).toString());
            for (int k = 0; k < tensors.size(); k++) {
                if (k % 4 != 0 && k != tensors.size() - 1) {
                    continue; // a quarter of the tensors (every type occurs among them) keeps the test quick
                }
                JsonNode want = tensors.get(k);
                String name = want.get("name").asText();
                JsonNode dump = inspect("inspect", model.toString(), "--tensor", name, "--dump", "--limit", "8", "--json").get("dump");
                assertEquals(name, dump.get("tensor").asText());
                JsonNode values = dump.get("values");
                assertEquals(8, values.size());
                for (int i = 0; i < 8; i++) {
                    float expected = (float) want.get("first").get(i).asDouble();
                    float got = values.get(i).floatValue();
                    // exact, or within an ulp where ggml fuses a multiply-add (golden/README.md, section 5)
                    assertEquals(expected, got, Math.ulp(expected), model.getFileName() + " " + name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void textShowsSummaryMetadataAndTable() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.run("inspect", model);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("parameters          292.80K (292800)"), r.out());
        assertTrue(r.out().contains("heads / KV heads    8 / 4 (head dim 8)"), r.out());
        assertTrue(r.out().contains("KV bytes/token      f16 640, q8_0 n/a, q4_0 n/a"), r.out());
        assertTrue(r.out().contains("tokenizer.ggml.tokens = ['<unk>', '<s>', '</s>'") && r.out().contains("(504 more)"), r.out());
        assertTrue(r.out().contains("* 48 tensor(s)"), r.out());
        CliRunner.Result full = CliRunner.run("inspect", model, "--full");
        assertTrue(!full.out().contains("more)") && full.out().contains("'<0xFF>'"), "--full shows every token");
        CliRunner.Result stats = CliRunner.run("inspect", model, "--tensor", "output_norm.weight", "--stats");
        assertTrue(stats.out().contains("min") && stats.out().lines().count() == 3, stats.out());
    }

    @Test
    void statsAgreeWithTheGoldenSums() throws Exception {
        Path model = SharedData.model("gguf/stories260K-Q4_0.gguf");
        JsonNode root = inspect("inspect", model.toString(), "--stats", "--json");
        List<JsonNode> expected = SharedData.jsonLines("golden/dequant/stories260K-Q4_0.jsonl");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode st = root.get("tensors").get(i).get("stats");
            long n = root.get("tensors").get(i).get("elements").asLong();
            double mean = expected.get(i).get("sum").asDouble() / n;
            double std = Math.sqrt(Math.max(0, expected.get(i).get("sumsq").asDouble() / n - mean * mean));
            assertEquals(mean, st.get("mean").asDouble(), 1e-6 * Math.max(1, Math.abs(mean)) + 1e-9, expected.get(i).get("name").asText());
            assertEquals(std, st.get("std").asDouble(), 1e-5 * std + 1e-9, expected.get(i).get("name").asText());
            assertEquals(0, st.get("nan").asLong());
            assertTrue(st.get("min").asDouble() <= st.get("max").asDouble());
        }
    }

    @Test
    void badInputIsOneLine() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result noTensor = CliRunner.run("inspect", model, "--dump");
        assertEquals(2, noTensor.exitCode());
        CliRunner.Result unknown = CliRunner.run("inspect", model, "--tensor", "nope", "--dump");
        assertEquals(1, unknown.exitCode());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().contains("no tensor named nope"), unknown.err());
        CliRunner.Result missing = CliRunner.run("inspect", "/nonexistent/model.gguf");
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
    }
}
