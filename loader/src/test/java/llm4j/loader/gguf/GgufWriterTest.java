package llm4j.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.quant.GgmlType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GgufWriterTest {

    @TempDir
    Path dir;

    /** The byte layout spelled out by hand from the GGUF spec, independent of the reader. */
    @Test
    void layoutMatchesTheSpecByteForByte() throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("a", MetadataValue.of(ValueType.UINT8, 7L));
        w.putStringArray("s", new String[] {"hé"});
        w.addTensor("t", GgmlType.F32, new long[] {2}, sink -> sink.write(le(8).putFloat(1f).putFloat(-2f).flip()));
        Path file = dir.resolve("x.gguf");
        w.write(file);

        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        want.writeBytes(le(4).putInt(3).array());            // version
        want.writeBytes(le(8).putLong(1).array());           // tensor count
        want.writeBytes(le(8).putLong(2).array());           // metadata count
        want.writeBytes(le(8).putLong(1).array());           // "a"
        want.write('a');
        want.writeBytes(le(4).putInt(0).array());            // UINT8
        want.write(7);
        want.writeBytes(le(8).putLong(1).array());           // "s"
        want.write('s');
        want.writeBytes(le(4).putInt(9).array());            // ARRAY
        want.writeBytes(le(4).putInt(8).array());            // of STRING
        want.writeBytes(le(8).putLong(1).array());           // one element
        want.writeBytes(le(8).putLong(3).array());           // "hé" is 3 UTF-8 bytes
        want.writeBytes("hé".getBytes(StandardCharsets.UTF_8));
        want.writeBytes(le(8).putLong(1).array());           // tensor "t"
        want.write('t');
        want.writeBytes(le(4).putInt(1).array());            // 1 dimension
        want.writeBytes(le(8).putLong(2).array());           // ne[0] = 2
        want.writeBytes(le(4).putInt(0).array());            // F32
        want.writeBytes(le(8).putLong(0).array());           // offset 0
        while (want.size() % 32 != 0) {
            want.write(0);
        }
        want.writeBytes(le(8).putFloat(1f).putFloat(-2f).array());
        while (want.size() % 32 != 0) {
            want.write(0);                                   // the last tensor is padded too, as ggml does
        }
        assertArrayEquals(want.toByteArray(), Files.readAllBytes(file));
        assertEquals(want.size(), w.fileSize());
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static Stream<String> shippedModels() throws IOException {
        if (!SharedData.present()) {
            return Stream.of();
        }
        try (Stream<Path> files = Files.list(SharedData.root().resolve("models/gguf"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).sorted().toList().stream();
        }
    }

    /** Reader → writer reproduces every shipped file (written by ggml and by a Python writer) byte for byte. */
    @ParameterizedTest
    @MethodSource("shippedModels")
    void copiesShippedFilesByteForByte(String name) throws Exception {
        Path original = SharedData.model("gguf/" + name);
        Path copy = dir.resolve(name);
        try (ModelFile in = ModelFiles.open(original)) {
            GgufWriter.copyOf(in).write(copy);
            try (ModelFile out = ModelFiles.open(copy)) {
                assertEquals(List.copyOf(in.metadata().keys()), List.copyOf(out.metadata().keys()));
                for (String key : in.metadata().keys()) {
                    assertTrue(MetadataEquality.same(in.metadata().get(key).orElseThrow(), out.metadata().get(key).orElseThrow()), key);
                }
                assertEquals(in.tensors().size(), out.tensors().size());
                for (int i = 0; i < in.tensors().size(); i++) {
                    TensorView a = in.tensors().get(i);
                    TensorView b = out.tensors().get(i);
                    assertEquals(a.toString(), b.toString());
                    assertEquals(-1, a.data().mismatch(b.data()), a.name() + " data");
                }
            }
        }
        assertEquals(-1, Files.mismatch(original, copy), "copy of " + name + " differs at byte " + Files.mismatch(original, copy));
    }

    @Test
    void sourceWritingTooFewBytesFailsAndLeavesNoFile() {
        GgufWriter w = new GgufWriter();
        w.addTensor("t", GgmlType.Q8_0, new long[] {32, 2}, sink -> sink.write(ByteBuffer.allocate(34)));
        Path file = dir.resolve("short.gguf");
        IOException e = assertThrows(IOException.class, () -> w.write(file));
        assertTrue(e.getMessage().contains("needs 68 bytes, its source wrote 34"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void sourceWritingTooManyBytesFailsAndKeepsOldFile() throws IOException {
        Path file = dir.resolve("long.gguf");
        Files.writeString(file, "old");
        GgufWriter w = new GgufWriter();
        w.addTensor("t", GgmlType.F16, new long[] {4}, sink -> sink.write(ByteBuffer.allocate(9)));
        IOException e = assertThrows(IOException.class, () -> w.write(file));
        assertTrue(e.getMessage().contains("wrote more than"), e.getMessage());
        assertEquals("old", Files.readString(file));
    }

    @Test
    void rejectsValuesTheReaderCouldNotReturn() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.put("k", MetadataValue.of(ValueType.UINT8, 256L)));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", MetadataValue.of(ValueType.UINT32, -1L)));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", MetadataValue.of(ValueType.FLOAT32, 1.0)));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", MetadataValue.array(ValueType.INT32, new int[] {1})));
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "bad \ud800 surrogate"));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", MetadataValue.array(ValueType.ARRAY, List.of(MetadataValue.of(ValueType.BOOL, true)))));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("general.alignment", 24));
        assertThrows(IllegalArgumentException.class, () -> w.putInt32("general.alignment", 32));
        assertEquals(0, w.metadata().size());
    }

    @Test
    void rejectsTensorsGgmlCouldNotLoad() {
        GgufWriter w = new GgufWriter();
        TensorSource none = sink -> { };
        w.addTensor("ok", GgmlType.Q4_K, new long[] {256, 3}, none);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("ok", GgmlType.F32, new long[] {1}, none));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, none));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("rows", GgmlType.Q4_K, new long[] {576, 2}, none));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("dims", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, none));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("zero", GgmlType.F32, new long[] {4, 0}, none));
        w.addTensor("rows", GgmlType.F32, new long[] {576, 2}, none);  // the rejected names stay free
        assertEquals(2, w.tensorCount());
    }

    @Test
    void keySetTwiceKeepsItsPosition() {
        GgufWriter w = new GgufWriter().putString("a", "1").putString("b", "2").putString("a", "3");
        assertEquals(List.of("a", "b"), List.copyOf(w.metadata().keySet()));
        assertEquals("3", w.metadata().get("a").value());
    }
}
