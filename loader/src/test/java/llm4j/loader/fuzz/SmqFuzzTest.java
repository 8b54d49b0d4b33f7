package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;
import llm4j.loader.smq.SmqWriter;
import llm4j.quant.smq.SmqScheme;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.ScratchDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged SMQ files, from SmallMind's {@code benchmark-model.smq} and from one {@link SmqWriter} (the writer
 * {@code llm4j convert} uses) writes with F32, Q8_0 and Q4_0 tensors: cut at every section boundary (header fields,
 * metadata, each directory entry and each tensor's data and scales) and at random; bit flips and random bytes in the
 * header, the metadata and the directory; extreme values in every count, length, rank, dimension, scheme, block size
 * and offset; and the metadata replaced by hostile JSON (with the offsets behind it moved so the file stays whole).
 * Each case must load (and then every tensor decodes) or raise a one-line {@link ModelFormatException}.
 */
class SmqFuzzTest {

    private static final int HEADER = 32;
    private static final int ENTRY = 156;
    /** Directory fields: offset in the entry and width (4 = u32, 8 = u64). */
    private static final int[][] ENTRY_FIELDS = {{64, 4}, {68, 4}, {72, 4}, {76, 4}, {80, 4}, {104, 4},
        {108, 8}, {116, 8}, {124, 8}, {132, 8}};
    private static final int[][] HEADER_FIELDS = {{8, 4}, {12, 4}, {16, 4}, {20, 4}};
    private static final String[] HOSTILE_METADATA = {
        "", "{", "[]", "null", "{\"converted_from\":\"GGUF\"}", "{\"converted_from\":5}", "{\"a\":1e999999}",
        "{\"a\":-1e-999999}", "{\"a\":123456789012345678901234567890}", "{\"a\":[1,\"x\",true,null,{}]}",
        "{\"a\":1,\"a\":2}", "{\"a\":\"\\ud800\"}", "{\"\\u001b[2J\\u202e\":\"\\n\"}", "[".repeat(5000) + "]".repeat(5000),
        "{\"a\":" + "[".repeat(900) + "]".repeat(900) + "}", "{\"a\":[" + "1.5,".repeat(20000) + "1]}",
    };

    private final ScratchDir scratch = new ScratchDir("llm4j-smq-fuzz");

    @AfterEach
    void removeCaseFiles() {
        scratch.close();
    }

    private byte[] seed(String which) throws IOException {
        if (which.equals("benchmark")) {
            return Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        }
        Random values = new Random(7);
        SmqWriter w = new SmqWriter()
                .put("architecture", MetadataValue.of(ValueType.STRING, "llama"))
                .put("llama.block_count", MetadataValue.of(ValueType.INT64, 1L))
                .put("tokens", MetadataValue.array(ValueType.STRING, new String[] {"a", "b", "\u00e9"}))
                .put("scores", MetadataValue.array(ValueType.FLOAT32, new float[] {0.5f, -1f, 2f}));
        w.addTensor("norm", SmqScheme.F32, new long[] {64}, 0, (data, scales) -> fill(data, values));
        w.addTensor("wq", SmqScheme.Q8_0, new long[] {64, 8}, 32, (data, scales) -> fill(data, values));
        w.addTensor("w4", SmqScheme.Q4_0, new long[] {96, 5}, 64, (data, scales) -> fill(data, values));
        w.addTensor("cube", SmqScheme.F32, new long[] {2, 3, 4}, 0, (data, scales) -> fill(data, values));
        Path file = scratch.resolve("written.smq");
        w.write(file);
        return Files.readAllBytes(file);
    }

    /** Small finite floats for F32 blobs (scales get them too, through {@code data} only: the rest stays zero). */
    private static void fill(java.lang.foreign.MemorySegment data, Random values) {
        if (data.byteSize() % 4 == 0) {
            for (long i = 0; i < data.byteSize(); i += 4) {
                data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, values.nextFloat() - 0.5f);
            }
        } else {
            for (long i = 0; i < data.byteSize(); i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) values.nextInt(256));
            }
        }
    }

    /** Where the header, metadata, each entry and each blob start and end. */
    private static List<Long> boundaries(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<Long> out = new ArrayList<>(List.of(8L, 12L, 16L, 20L, 24L, (long) HEADER));
        long count = Integer.toUnsignedLong(b.getInt(16));
        long directory = HEADER + Integer.toUnsignedLong(b.getInt(20));
        out.add(directory);
        for (long i = 0; i < count; i++) {
            int at = (int) (directory + i * ENTRY);
            out.add((long) at);
            out.add((long) at + 64);
            out.add(at + ENTRY + 0L);
            for (int blob : new int[] {108, 124}) {
                long offset = b.getLong(at + blob);
                if (offset != 0) {
                    out.add(offset);
                    out.add(offset + b.getLong(at + blob + 8));
                }
            }
        }
        return out;
    }

    private static long dataEnd(byte[] file) {
        return boundaries(file).stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"benchmark", "written"})
    void truncatedAtEveryBoundaryAndAtRandom(String which) throws IOException {
        byte[] original = seed(which);
        TreeSet<Long> cuts = new TreeSet<>();
        for (long b : boundaries(original)) {
            for (long cut = b - 1; cut <= b + 1; cut++) {
                if (cut >= 0 && cut < original.length) {
                    cuts.add(cut);
                }
            }
        }
        Random random = new Random(FuzzSettings.seed() ^ which.hashCode());
        for (int i = 0; i < FuzzSettings.cases(60); i++) {
            cuts.add(random.nextLong(original.length));
        }
        long end = dataEnd(original);
        Path file = scratch.resolve(which + ".smq");
        OpenProbe.write(file, original);
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (long cut : cuts.descendingSet()) {
                String what = which + ".smq truncated to " + cut + " bytes";
                OpenProbe.truncateAndProbe(file, cut);
                Exception e = cases.check(what, FormatProbe.openThenProbe(file));
                if (cut < end) {
                    assertNotNull(e, what + " was accepted");
                }
                if (e != null) {
                    OpenProbe.assertOneLine((ModelFormatException) e, file);
                }
            }
            System.out.printf("%s.smq: %d truncations, %d rejected%n", which, cases.total(), cases.rejected());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"benchmark", "written"})
    void flipsRandomBytesExtremeValuesAndHostileMetadata(String which) throws IOException {
        byte[] original = seed(which);
        ByteBuffer in = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        int count = in.getInt(16);
        int metadataLength = in.getInt(20);
        int directory = HEADER + metadataLength;
        int directoryEnd = directory + count * ENTRY;
        long size = original.length;
        long[] extremes = {0, 1, 2, 3, 8, 9, 31, 32, 33, 64, 156, -1, 0xFFFFFFFFL, 0x7FFFFFFFL, 0x80000000L, 0x100000000L,
            Long.MAX_VALUE, Long.MIN_VALUE, size, size - 1, size + 1, directory, directoryEnd, 1L << 40};
        Path file = scratch.resolve(which + ".smq");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            for (int i = 0; i < FuzzSettings.cases(300); i++) {
                Random random = new Random(FuzzSettings.seed() * 37 + i + which.hashCode());
                byte[] bytes = original.clone();
                ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                String what;
                switch (i % 5) {
                    case 0 -> { // bit flips in the header, metadata and directory
                        StringBuilder sb = new StringBuilder("flipped bits at");
                        for (int f = 1 + random.nextInt(8); f > 0; f--) {
                            int at = random.nextInt(directoryEnd);
                            bytes[at] ^= (byte) (1 << random.nextInt(8));
                            sb.append(' ').append(at);
                        }
                        what = sb.toString();
                    }
                    case 1 -> { // a run of random bytes in one section
                        int from = switch (random.nextInt(3)) {
                            case 0 -> 0;
                            case 1 -> HEADER;
                            default -> directory;
                        };
                        int to = from == 0 ? HEADER : from == HEADER ? Math.max(HEADER + 1, directory) : directoryEnd;
                        int at = from + random.nextInt(Math.max(1, to - from));
                        int n = 1 + random.nextInt(16);
                        for (int k = 0; k < n && at + k < bytes.length; k++) {
                            bytes[at + k] = (byte) random.nextInt(256);
                        }
                        what = n + " random bytes at " + at;
                    }
                    case 2, 3 -> { // an extreme value in a header or directory field
                        long value = extremes[random.nextInt(extremes.length)];
                        int at;
                        int width;
                        if (count == 0 || random.nextInt(4) == 0) {
                            int[] f = HEADER_FIELDS[random.nextInt(HEADER_FIELDS.length)];
                            at = f[0];
                            width = f[1];
                        } else {
                            int[] f = ENTRY_FIELDS[random.nextInt(ENTRY_FIELDS.length)];
                            at = directory + random.nextInt(count) * ENTRY + f[0];
                            width = f[1];
                        }
                        if (width == 4) {
                            b.putInt(at, (int) value);
                        } else {
                            b.putLong(at, value);
                        }
                        what = "field at " + at + " = " + value;
                    }
                    default -> { // the metadata replaced, every absolute offset behind it moved along
                        String json = HOSTILE_METADATA[random.nextInt(HOSTILE_METADATA.length)];
                        bytes = withMetadata(original, json.getBytes(StandardCharsets.UTF_8));
                        what = "metadata " + (json.length() > 60 ? json.substring(0, 60) + "..." : json);
                    }
                }
                OpenProbe.write(file, bytes);
                Exception e = cases.check(which + " case " + i + " (" + what + ")", FormatProbe.openThenProbe(file));
                if (e != null) {
                    OpenProbe.assertOneLine((ModelFormatException) e, file);
                }
            }
            System.out.printf("%s.smq: %d mutations, %d rejected%n", which, cases.total(), cases.rejected());
        }
    }

    /** Dimensions whose product fits a long but whose byte size does not: refused, not an ArithmeticException. */
    @org.junit.jupiter.api.Test
    void elementCountWhoseByteSizeOverflows() throws IOException {
        byte[] bytes = seed("written");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int cube = HEADER + b.getInt(20) + 3 * ENTRY; // the rank-3 F32 tensor
        b.putInt(cube + 72, Integer.MAX_VALUE).putInt(cube + 76, 1 << 30).putInt(cube + 80, 2);
        Path file = scratch.resolve("overflow.smq");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class)) {
            OpenProbe.write(file, bytes);
            Exception e = cases.check("2^31-1 x 2^30 x 2 floats", FormatProbe.openThenProbe(file));
            assertNotNull(e);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        }
    }

    private static byte[] withMetadata(byte[] original, byte[] json) {
        ByteBuffer in = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        int count = in.getInt(16);
        int oldLength = in.getInt(20);
        int delta = json.length - oldLength;
        ByteBuffer out = ByteBuffer.allocate(original.length + delta).order(ByteOrder.LITTLE_ENDIAN);
        out.put(original, 0, HEADER).putInt(20, json.length).position(HEADER);
        out.put(json);
        out.put(original, HEADER + oldLength, original.length - HEADER - oldLength);
        int directory = HEADER + json.length;
        for (int i = 0; i < count; i++) {
            for (int blob : new int[] {108, 124}) {
                int at = directory + i * ENTRY + blob;
                long offset = out.getLong(at);
                if (offset != 0) {
                    out.putLong(at, offset + delta);
                }
            }
        }
        return out.array();
    }
}
