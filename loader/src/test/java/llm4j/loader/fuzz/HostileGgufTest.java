package llm4j.loader.fuzz;

import static llm4j.testdata.gguf.GgufValue.ARRAY;
import static llm4j.testdata.gguf.GgufValue.INT32;
import static llm4j.testdata.gguf.GgufValue.UINT8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import llm4j.loader.ModelFormatException;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.ScratchDir;
import llm4j.testdata.gguf.GgufEditor;
import llm4j.testdata.gguf.GgufLayout;
import llm4j.testdata.gguf.GgufLayout.Field;
import llm4j.testdata.gguf.GgufLayout.Kind;
import llm4j.testdata.gguf.GgufValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-made hostile files, one attack each, with the problem the error must name. Where the fuzz
 * tests only demand a clean outcome, these pin down that each check exists and says the right thing.
 */
class HostileGgufTest {

    private final ScratchDir scratch = new ScratchDir("llm4j-hostile");
    private final Path dir = scratch.path();

    private final FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class);

    @AfterEach
    void close() {
        cases.close();
        scratch.close();
    }

    // ---- the fixed header ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 0x02000000, 0x03000000, -1})
    void unsupportedVersionsAreNamed(int version) {
        ModelFormatException e = rejected(GgufEditor.empty().version(version).toBytes());
        assertEquals(4, e.offset());
        assertTrue(e.problem().contains("version"), e.getMessage());
    }

    @Test
    void bigEndianFilesGetAHint() {
        assertTrue(rejected(GgufEditor.empty().version(0x03000000).toBytes()).problem().contains("big-endian"));
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MAX_VALUE, 1L << 32, 1_000_000})
    void countsTheFileCannotHoldAreRejectedBeforeReading(long count) {
        byte[] bytes = GgufEditor.empty().toBytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(8, count);
        assertTrue(rejected(bytes).problem().contains("tensor count"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 0).putLong(16, count);
        assertTrue(rejected(bytes).problem().contains("metadata count"));
    }

    // ---- metadata ----

    @Test
    void hugeStringLengthIsRejected() {
        byte[] bytes = GgufEditor.empty().set("a", GgufValue.string("value")).toBytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(24, -1L); // the key's length
        ModelFormatException e = rejected(bytes);
        assertTrue(e.problem().contains("file ends inside metadata key 0"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 1L << 40, (1L << 24) + 1, 100})
    void arrayLengthsBeyondTheFileAreRejected(long declared) {
        byte[] bytes = GgufEditor.empty().set("a", GgufValue.arrayDeclaring(INT32, declared,
                GgufValue.i32(1), GgufValue.i32(2))).toBytes();
        assertTrue(rejected(bytes).problem().contains("declares"));
    }

    @Test
    void deeplyNestedArraysAreRejected() {
        GgufValue v = GgufValue.array(UINT8, GgufValue.u8(1));
        for (int depth = 0; depth < 20; depth++) {
            v = GgufValue.array(ARRAY, v);
        }
        assertTrue(rejected(GgufEditor.empty().set("nested", v).toBytes()).problem().contains("nests arrays"));
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 99, -1, Integer.MIN_VALUE})
    void unknownValueTypesAreRejected(int type) {
        byte[] bytes = GgufEditor.empty().set("a", new GgufValue(type, new byte[8])).toBytes();
        assertTrue(rejected(bytes).problem().contains("unknown value type"));
        bytes = GgufEditor.empty().set("a", new GgufValue(ARRAY, le(12).putInt(type).putLong(0).array())).toBytes();
        assertTrue(rejected(bytes).problem().contains("unknown type"));
    }

    @Test
    void boolsOtherThanZeroOrOneAreRejected() {
        byte[] bytes = GgufEditor.empty().set("flag", new GgufValue(GgufValue.BOOL, new byte[] {2})).toBytes();
        assertTrue(rejected(bytes).problem().contains("bool"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"c328", "ff", "c080", "eda080", "f4908080", "e282"})
    void stringsThatAreNotUtf8AreRejected(String hex) {
        byte[] bad = java.util.HexFormat.of().parseHex(hex);
        ModelFormatException value = rejected(GgufEditor.empty().set("a", GgufValue.stringBytes(bad)).toBytes());
        assertTrue(value.problem().contains("not valid UTF-8"), value.getMessage());
        ModelFormatException key = rejected(GgufEditor.empty().appendRawKey(bad, GgufValue.u8(0)).toBytes());
        assertTrue(key.problem().contains("not valid UTF-8"), key.getMessage());
    }

    @Test
    void duplicateKeysAreRejected() {
        byte[] bytes = GgufEditor.empty().append("a", GgufValue.u8(1)).append("a", GgufValue.u8(2)).toBytes();
        assertTrue(rejected(bytes).problem().contains("duplicate metadata key a"));
    }

    @Test
    void badAlignmentsAreRejected() {
        for (GgufValue v : List.of(GgufValue.u32(0), GgufValue.u32(3), GgufValue.u32(48), GgufValue.u32(1L << 21),
                GgufValue.u32(-1), GgufValue.u64(32), GgufValue.string("32"))) {
            ModelFormatException e = rejected(GgufEditor.empty().set("general.alignment", v).toBytes());
            assertTrue(e.problem().contains("general.alignment"), e.getMessage());
        }
    }

    /**
     * Each uint8 element costs one byte of file and eight of heap as a long: 40 MiB of arrays would
     * decode to 320 MiB. The decode budget refuses it instead of running the heap out.
     */
    @Test
    void metadataThatWouldDecodeIntoHundredsOfMegabytesIsRefused() {
        GgufEditor editor = GgufEditor.empty();
        for (int i = 0; i < 40; i++) {
            editor.set("bomb." + i, GgufValue.zeroBytes(UINT8, 1 << 20));
        }
        ModelFormatException e = rejected(editor.toBytes());
        assertTrue(e.problem().contains("MiB of memory"), e.getMessage());
    }

    @Test
    void ordinaryMetadataStaysFarBelowTheBudget() {
        GgufEditor editor = GgufEditor.empty();
        for (int i = 0; i < 8; i++) {
            editor.set("ok." + i, GgufValue.zeroBytes(UINT8, 1 << 20));
        }
        assertNull(open(editor.toBytes()), "64 MiB of decoded arrays must still load");
    }

    // ---- what errors look like ----

    @Test
    void namesFromTheFileCannotBreakTheOneLineMessage() {
        String key = "evil\n\u001b[2J\u202eline\r" + "k".repeat(100_000);
        ModelFormatException e = rejected(GgufEditor.empty().set(key, new GgufValue(77, new byte[4])).toBytes());
        assertTrue(e.getMessage().length() < 1_000, "message of " + e.getMessage().length() + " chars");
        assertTrue(e.getMessage().contains("evil\\u000a\\u001b[2J\\u202eline\\u000d"), e.getMessage());
        assertTrue(e.getMessage().endsWith("unknown value type 77"), e.getMessage());
    }

    // ---- tensor infos (edits of a real model) ----

    @ParameterizedTest
    @ValueSource(ints = {0, 5, -1})
    void dimensionCountsOutsideOneToFourAreRejected(int dims) {
        assertTrue(rejectedTensorEdit(Kind.DIMENSION_COUNT, 0, dims).problem().contains("dimensions"));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void emptyOrNegativeDimensionsAreRejected(long size) {
        assertTrue(rejectedTensorEdit(Kind.DIMENSION, 0, size).problem().contains("dimension 0 of size"));
    }

    @Test
    void elementCountOverflowIsRejected() {
        byte[] bytes = model();
        List<Field> dims = GgufLayout.of(bytes).fields(Kind.DIMENSION);
        // token_embd is [64, 512]: make it [2^32, 2^32]
        patch(bytes, dims.get(0), 1L << 32);
        patch(bytes, dims.get(1), 1L << 32);
        assertTrue(rejected(bytes).problem().contains("overflows"));
    }

    @Test
    void sizesThatOverflowBytesButNotElementsAreRejected() {
        byte[] bytes = model();
        List<Field> dims = GgufLayout.of(bytes).fields(Kind.DIMENSION);
        patch(bytes, dims.get(0), 1L << 31);
        patch(bytes, dims.get(1), 1L << 31); // 2^62 elements of 4 bytes
        assertTrue(rejected(bytes).problem().contains("overflows"));
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 99, -1, 64})
    void unknownTensorTypesAreRejected(int type) {
        assertTrue(rejectedTensorEdit(Kind.TENSOR_TYPE, 0, type).problem().contains("unknown ggml type"));
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRejected() {
        // 64 columns cannot be cut into Q2_K's 256-element blocks
        assertTrue(rejectedTensorEdit(Kind.TENSOR_TYPE, 0, 10).problem().contains("block size"));
    }

    @Test
    void misalignedOffsetsAreRejected() {
        long offset = tensorOffset(1);
        assertTrue(rejectedTensorEdit(Kind.TENSOR_OFFSET, 1, offset + 4).problem().contains("not aligned"));
    }

    @ParameterizedTest
    @ValueSource(longs = {-32, Long.MIN_VALUE, Long.MAX_VALUE - 31, 1L << 40})
    void offsetsOutsideTheFileAreRejected(long offset) {
        assertTrue(rejectedTensorEdit(Kind.TENSOR_OFFSET, 1, offset).problem().contains("outside the file"));
    }

    @Test
    void dataReachingPastTheEndIsRejected() {
        byte[] bytes = model();
        long dataSize = bytes.length - GgufLayout.of(bytes).dataStart();
        long lastAlignedOffset = (dataSize - 1) / 32 * 32;
        assertTrue(rejectedTensorEdit(Kind.TENSOR_OFFSET, 0, lastAlignedOffset).problem().contains("outside the file"));
    }

    @Test
    void overlappingTensorsAreRejected() {
        assertTrue(rejectedTensorEdit(Kind.TENSOR_OFFSET, 1, tensorOffset(0)).problem().contains("overlaps"));
    }

    @Test
    void duplicateTensorNamesAreRejected() {
        byte[] bytes = model();
        List<Field> names = GgufLayout.of(bytes).fields(Kind.TENSOR_NAME_BYTES);
        Field q = names.stream().filter(f -> text(bytes, f).equals("blk.0.attn_q.weight")).findFirst().orElseThrow();
        Field k = names.stream().filter(f -> text(bytes, f).equals("blk.0.attn_k.weight")).findFirst().orElseThrow();
        System.arraycopy(bytes, (int) q.offset(), bytes, (int) k.offset(), q.width());
        assertTrue(rejected(bytes).problem().contains("duplicate tensor name blk.0.attn_q.weight"));
    }

    // ---- things that are not files ----

    @Test
    void emptyMissingAndDirectoryPathsAreRejected() throws Exception {
        assertTrue(rejected(new byte[0]).problem().contains("empty"));
        assertTrue(rejectedPath(dir.resolve("missing.gguf")).problem().contains("no such file"));
        assertTrue(rejectedPath(dir).problem().contains("directory"));
    }

    /** Opening a FIFO for reading blocks until a writer comes: that must not hang the loader. */
    @Test
    void pipesAreRejectedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("pipe.gguf");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo unavailable");
        assertTrue(rejectedPath(fifo).problem().contains("not a regular file"));
    }

    // ---- helpers ----

    private ModelFormatException rejected(byte[] bytes) {
        ModelFormatException e = open(bytes);
        assertNotNull(e, "file was accepted");
        return e;
    }

    private ModelFormatException open(byte[] bytes) {
        Path file = dir.resolve("hostile.gguf");
        ModelFormatException e = (ModelFormatException) cases.check("hostile file", OpenProbe.openAndProbe(file, bytes));
        if (e != null) {
            OpenProbe.assertOneLine(e, file);
        }
        return e;
    }

    private ModelFormatException rejectedPath(Path path) {
        Exception e = cases.check(path.toString(), () -> {
            llm4j.loader.ModelFiles.open(path).close();
            return null;
        });
        assertNotNull(e, path + " was accepted");
        return (ModelFormatException) e;
    }

    private ModelFormatException rejectedTensorEdit(Kind kind, int index, long value) {
        byte[] bytes = model();
        patch(bytes, GgufLayout.of(bytes).fields(kind).get(index), value);
        return rejected(bytes);
    }

    private static long tensorOffset(int index) {
        byte[] bytes = model();
        Field f = GgufLayout.of(bytes).fields(Kind.TENSOR_OFFSET).get(index);
        return le(bytes).getLong((int) f.offset());
    }

    private static void patch(byte[] bytes, Field field, long value) {
        ByteBuffer out = le(bytes);
        switch (field.width()) {
            case 4 -> out.putInt((int) field.offset(), (int) value);
            case 8 -> out.putLong((int) field.offset(), value);
            default -> throw new IllegalArgumentException(field.toString());
        }
    }

    /** stories260K: F32 tensors, 512-token vocabulary, 48 tensors. */
    private static byte[] model() {
        return ShippedModels.read(SharedData.model("gguf/stories260K.gguf"));
    }

    private static String text(byte[] bytes, Field f) {
        return new String(bytes, (int) f.offset(), f.width(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
