package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import llm4j.loader.ModelFormatException;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.ScratchDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Damaged safetensors files and sharded folders: the shipped checkpoint cut at every section boundary and at random,
 * bit flips and random bytes in its length and JSON header, every header field replaced by hostile values (with the
 * header re-serialised so the mutation reaches the checks behind the JSON parser), random bytes behind a plausible
 * length, and a sharded folder whose {@code model.safetensors.index.json} is cut, flipped or rewritten. Each case must
 * load (and then every tensor decodes) or raise a one-line {@link ModelFormatException} within its deadline.
 */
class SafetensorsFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODEL = SharedData.model("safetensors/story-llama-2L-128d/model.safetensors");

    /** Values a hostile header puts where a number, string, array or object belongs. */
    private static final String[] HOSTILE = {
        "0", "-1", "1", "2147483647", "2147483648", "4294967296", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e400", "-0.5", "1.5", "NaN", "null", "true", "\"\"", "\"F32\"", "\"I64\"", "\"Q8_0\"",
        "[]", "[0]", "[-1]", "[0,0]", "[1,2,3]", "[4294967296,4294967296,4294967296]", "[9223372036854775807,2]",
        "[0,9223372036854775807]", "[1e3,2]", "{}", "{\"a\":1}", "[[1]]", "\"\\u0000\\u001b[31m\\u202e\"",
    };

    private final ScratchDir scratch = new ScratchDir("llm4j-safetensors-fuzz");

    @AfterEach
    void removeCaseFiles() {
        scratch.close();
    }

    @Test
    void truncatedAtEveryBoundaryAndAtRandom() throws IOException {
        byte[] original = Files.readAllBytes(MODEL);
        long headerEnd = 8 + ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        TreeSet<Long> cuts = new TreeSet<>();
        for (long b = 0; b <= 9; b++) {
            cuts.add(b);
        }
        List<Long> boundaries = new ArrayList<>(List.of(headerEnd));
        for (JsonNode t : header(original)) {
            if (t.has("data_offsets")) {
                boundaries.add(headerEnd + t.get("data_offsets").get(0).asLong());
                boundaries.add(headerEnd + t.get("data_offsets").get(1).asLong());
            }
        }
        for (long b : boundaries) {
            for (long cut = b - 1; cut <= b + 1; cut++) {
                if (cut >= 0 && cut < original.length) {
                    cuts.add(cut);
                }
            }
        }
        Random random = new Random(FuzzSettings.seed() ^ 0x5afe);
        for (int i = 0; i < FuzzSettings.cases(60); i++) {
            cuts.add(random.nextLong(original.length));
        }
        Path file = scratch.resolve("model.safetensors");
        OpenProbe.write(file, original);
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (long cut : cuts.descendingSet()) {
                String what = "safetensors truncated to " + cut + " bytes";
                OpenProbe.truncateAndProbe(file, cut); // cuts the file; the probe below opens any format
                Exception e = cases.check(what, FormatProbe.openThenProbe(file));
                // the last tensor's data ends the file, so every cut loses bytes a tensor needs
                assertNotNull(e, what + " was accepted");
                FormatProbe.assertOneLine((ModelFormatException) e);
            }
            System.out.printf("safetensors: %d truncations, %d rejected%n", cases.total(), cases.rejected());
        }
    }

    @Test
    void headerBitFlipsRandomBytesAndHostileFields() throws IOException {
        byte[] original = Files.readAllBytes(MODEL);
        int headerEnd = (int) (8 + ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        ObjectNode header = (ObjectNode) header(original);
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        Path file = scratch.resolve("model.safetensors");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (int i = 0; i < FuzzSettings.cases(400); i++) {
                Random random = new Random(FuzzSettings.seed() * 31 + i);
                byte[] bytes;
                String what;
                switch (i % 4) {
                    case 0 -> { // bit flips anywhere in the length and the JSON
                        bytes = original.clone();
                        int flips = 1 + random.nextInt(8);
                        StringBuilder sb = new StringBuilder("flipped bits at");
                        for (int f = 0; f < flips; f++) {
                            int at = random.nextInt(headerEnd);
                            bytes[at] ^= (byte) (1 << random.nextInt(8));
                            sb.append(' ').append(at);
                        }
                        what = sb.toString();
                    }
                    case 1 -> { // a run of random bytes inside the JSON
                        bytes = original.clone();
                        int at = 8 + random.nextInt(headerEnd - 8);
                        int n = 1 + random.nextInt(Math.min(16, headerEnd - at));
                        for (int k = 0; k < n; k++) {
                            bytes[at + k] = (byte) random.nextInt(256);
                        }
                        what = n + " random bytes at " + at;
                    }
                    case 2 -> { // the length prefix set to an extreme or off-by-a-little value
                        bytes = original.clone();
                        long[] lengths = {0, 1, 2, headerEnd - 9, headerEnd - 7, headerEnd, original.length - 8,
                            original.length - 7, 100L << 20, (100L << 20) + 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, -8};
                        long length = lengths[random.nextInt(lengths.length)];
                        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
                        what = "header length " + length;
                    }
                    default -> { // one field of one entry replaced by a hostile value, header re-serialised
                        ObjectNode copy = header.deepCopy();
                        String name = names.get(random.nextInt(names.size()));
                        String hostile = HOSTILE[random.nextInt(HOSTILE.length)];
                        JsonNode value = JSON.readTree(hostile.equals("NaN") ? "\"NaN\"" : hostile);
                        if (copy.get(name) instanceof ObjectNode entry && random.nextInt(4) != 0) {
                            String[] fields = {"dtype", "shape", "data_offsets", "data_offsets.0", "data_offsets.1",
                                "shape.0", "shape.1"};
                            String field = fields[random.nextInt(fields.length)];
                            if (field.contains(".") && entry.get(field.substring(0, field.indexOf('.'))) instanceof
                                    com.fasterxml.jackson.databind.node.ArrayNode array && array.size() > 0) {
                                int index = Math.min(field.charAt(field.length() - 1) - '0', array.size() - 1);
                                array.set(index, value);
                            } else {
                                entry.set(field.replaceAll("\\..*", ""), value);
                            }
                            what = "tensor '" + name + "' field " + field + " = " + hostile;
                        } else {
                            copy.set(name, value);
                            what = "entry '" + name + "' = " + hostile;
                        }
                        bytes = withHeader(original, headerEnd, JSON.writeValueAsBytes(copy));
                    }
                }
                OpenProbe.write(file, bytes);
                Exception e = cases.check("safetensors case " + i + " (" + what + ")", FormatProbe.openThenProbe(file));
                if (e != null) {
                    FormatProbe.assertOneLine((ModelFormatException) e);
                }
            }
            System.out.printf("safetensors: %d header mutations, %d rejected%n", cases.total(), cases.rejected());
        }
    }

    @Test
    void randomBytesBehindAPlausibleLength() {
        Path file = scratch.resolve("random.safetensors");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (int i = 0; i < FuzzSettings.cases(150); i++) {
                Random random = new Random(FuzzSettings.seed() * 17 + i);
                byte[] body = new byte[1 + random.nextInt(4096)];
                random.nextBytes(body);
                body[0] = '{';
                long length = random.nextBoolean() ? body.length : random.nextInt(body.length + 16);
                byte[] bytes = ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(length).put(body).array();
                OpenProbe.write(file, bytes);
                Exception e = cases.check("random safetensors case " + i, FormatProbe.openThenProbe(file));
                assertNotNull(e, "random case " + i + " was accepted");
                FormatProbe.assertOneLine((ModelFormatException) e);
            }
        }
    }

    @Test
    void shardedIndexCutFlippedAndRewritten() throws IOException {
        byte[] model = Files.readAllBytes(MODEL);
        JsonNode header = header(model);
        String shard = "model-00001-of-00001.safetensors";
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", model.length);
        ObjectNode weightMap = index.putObject("weight_map");
        header.fieldNames().forEachRemaining(n -> {
            if (!n.equals("__metadata__")) {
                weightMap.put(n, shard);
            }
        });
        byte[] original = JSON.writeValueAsBytes(index);
        Path dir = scratch.resolve("sharded");
        Files.createDirectories(dir);
        Files.write(dir.resolve(shard), model);
        Path indexFile = dir.resolve("model.safetensors.index.json");
        List<String> tensors = new ArrayList<>();
        weightMap.fieldNames().forEachRemaining(tensors::add);
        String[] hostileShards = {"\"../" + shard + "\"", "\"/etc/passwd\"", "\"\"", "\".\"", "\"..\"", "\"missing.safetensors\"",
            "\"model.safetensors.index.json\"", "\"" + shard + "\\u0000x\"", "5", "null", "[]", "{}", "\"\\u001b[2J\""};
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            OpenProbe.write(indexFile, original);
            cases.check("the intact sharded folder", FormatProbe.openThenProbe(dir));
            for (int i = 0; i < FuzzSettings.cases(200); i++) {
                Random random = new Random(FuzzSettings.seed() * 13 + i);
                byte[] bytes;
                String what;
                switch (i % 4) {
                    case 0 -> {
                        int cut = random.nextInt(original.length);
                        bytes = Arrays.copyOf(original, cut);
                        what = "index cut to " + cut;
                    }
                    case 1 -> {
                        bytes = original.clone();
                        int at = random.nextInt(bytes.length);
                        bytes[at] = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) (bytes[at] ^ (1 << random.nextInt(8)));
                        what = "index byte " + at + " changed";
                    }
                    case 2 -> {
                        ObjectNode copy = index.deepCopy();
                        String tensor = tensors.get(random.nextInt(tensors.size()));
                        String hostile = hostileShards[random.nextInt(hostileShards.length)];
                        ((ObjectNode) copy.get("weight_map")).set(tensor, JSON.readTree(hostile));
                        bytes = JSON.writeValueAsBytes(copy);
                        what = "weight_map['" + tensor + "'] = " + hostile;
                    }
                    default -> {
                        ObjectNode copy = index.deepCopy();
                        String hostile = HOSTILE[random.nextInt(HOSTILE.length)];
                        JsonNode value = JSON.readTree(hostile.equals("NaN") ? "\"NaN\"" : hostile);
                        if (random.nextBoolean()) {
                            copy.set("weight_map", value);
                            what = "weight_map = " + hostile;
                        } else {
                            ((ObjectNode) copy.get("weight_map")).put("not.a.tensor." + i, shard);
                            what = "weight_map lists a tensor the shard lacks";
                        }
                        bytes = JSON.writeValueAsBytes(copy);
                    }
                }
                OpenProbe.write(indexFile, bytes);
                Exception e = cases.check("sharded case " + i + " (" + what + ")", FormatProbe.openThenProbe(dir));
                if (e != null) {
                    FormatProbe.assertOneLine((ModelFormatException) e);
                }
            }
            System.out.printf("sharded safetensors: %d index mutations, %d rejected%n", cases.total(), cases.rejected());
        }
    }

    /**
     * Headers at llm4j's 16 MiB limit: a JSON array of millions of numbers (a tree several times its text in heap)
     * and 1,000-deep nesting are refused within the fuzz JVM's small heap; one byte more is refused unread.
     */
    @Test
    void largestAndDeepestHeaders() {
        int limit = 16 << 20;
        StringBuilder numbers = new StringBuilder(limit).append("{\"a\":[");
        for (int n = 100000; numbers.length() < limit - 16; n++) {
            numbers.append(n).append(',');
        }
        numbers.append("1]}");
        String[] headers = {numbers.toString(), "{\"a\":" + "[".repeat(100000) + "]".repeat(100000) + "}",
            "{\"__metadata__\":{\"x\":" + "{".repeat(2000) + "}".repeat(2000) + "}}"};
        Path file = scratch.resolve("big.safetensors");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(20), ModelFormatException.class)) {
            for (String h : headers) {
                byte[] json = h.getBytes(StandardCharsets.UTF_8);
                OpenProbe.write(file, ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(json.length).put(json).array());
                assertNotNull(cases.check("header of " + json.length + " bytes", FormatProbe.openThenProbe(file)));
            }
            byte[] over = new byte[8 + limit + 1];
            ByteBuffer.wrap(over).order(ByteOrder.LITTLE_ENDIAN).putLong(limit + 1L).put((byte) '{');
            OpenProbe.write(file, over);
            Exception e = cases.check("header over the limit", FormatProbe.openThenProbe(file));
            assertNotNull(e);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("limit"), e.getMessage());
        }
    }

    private static JsonNode header(byte[] file) {
        int length = (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        try {
            return JSON.readTree(new String(file, 8, length, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file with its header replaced by {@code json} and the data section kept as it was. */
    private static byte[] withHeader(byte[] original, int headerEnd, byte[] json) {
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + original.length - headerEnd).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(original, headerEnd, original.length - headerEnd);
        return b.array();
    }
}
