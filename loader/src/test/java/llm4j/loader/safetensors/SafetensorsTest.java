package llm4j.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.quant.GgmlType;
import llm4j.testdata.SharedData;
import llm4j.testdata.TinySafetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void sharedModelOpensWithTiedEmbeddingResolved() throws Exception {
        Path folder = SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent();
        try (ModelFile f = ModelFiles.open(folder)) {
            assertEquals("safetensors", f.format());
            assertEquals(21, f.tensors().size(), "20 stored tensors plus the tied alias");
            TensorView head = f.tensor("lm_head.weight").orElseThrow();
            TensorView embed = f.tensor("model.embed_tokens.weight").orElseThrow();
            assertArrayEquals(new long[] {128, 2048}, head.shape(), "ggml order: row length first");
            assertEquals(GgmlType.F32, embed.type());
            assertEquals(head.data().address(), embed.data().address(), "the alias is a view of the same bytes");
            assertArrayEquals(new long[] {384, 128}, f.tensor("model.layers.0.mlp.down_proj.weight").orElseThrow().shape());
            assertEquals("pt", f.metadata().getString("format"));
            // the views end exactly at the end of the file, per MODELS.md
            long end = f.tensors().stream().mapToLong(t -> t.offset() + t.byteSize()).max().orElseThrow();
            assertEquals(f.fileSize(), end);
        }
    }

    @Test
    void shapesAreReversedAndValuesReadInPlace() throws Exception {
        Path file = dir.resolve("x.safetensors");
        new TinySafetensors()
                .f32("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .half("b", "BF16", new long[] {2}, new short[] {0x3F80, (short) 0xC000})
                .f32("scalar", new long[] {}, new float[] {7})
                .write(file);
        try (ModelFile f = ModelFiles.open(file)) {
            TensorView a = f.tensor("a").orElseThrow();
            assertArrayEquals(new long[] {3, 2}, a.shape());
            float[] row = new float[3];
            a.matrix(2, 3).dequantizeRow(1, row, 0);
            assertArrayEquals(new float[] {4, 5, 6}, row);
            float[] b = new float[2];
            f.tensor("b").orElseThrow().matrix(1, 2).dequantizeRow(0, b, 0);
            assertArrayEquals(new float[] {1, -2}, b);
            assertArrayEquals(new long[] {1}, f.tensor("scalar").orElseThrow().shape());
            assertEquals(7f, f.tensor("scalar").orElseThrow().data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }

    @Test
    void headerLengthPastTheEndIsRefused() throws IOException {
        Path file = dir.resolve("short.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).put("{\"a\":1}".getBytes());
        Files.write(file, b.array());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("header length 1000000 runs past the end of the file (16 bytes)"), e.getMessage());
    }

    @Test
    void unsupportedDtypeIsNamed() {
        Path file = dir.resolve("i64.safetensors");
        new TinySafetensors().raw("position_ids", "I64", new long[] {2}, new byte[16]).write(file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("tensor 'position_ids' has dtype I64"), e.getMessage());
    }

    @Test
    void byteLengthMustMatchShape() {
        Path file = dir.resolve("bad.safetensors");
        TinySafetensors t = new TinySafetensors().f32("a", new long[] {2, 3}, new float[6]);
        ObjectNode header = t.rawHeader();
        ((ObjectNode) header.get("a")).putArray("shape").add(2).add(4);
        t.write(file, header);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("has 24 bytes of data, but F32 [2,4] needs 32"), e.getMessage());
    }

    @Test
    void overlapsAndOutOfRangeOffsetsAreRefused() {
        Path file = dir.resolve("overlap.safetensors");
        TinySafetensors t = new TinySafetensors().f32("a", new long[] {2}, new float[2]).f32("b", new long[] {2}, new float[2]);
        ObjectNode header = t.rawHeader();
        ((ObjectNode) header.get("b")).putArray("data_offsets").add(4).add(12);
        t.write(file, header);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file)).getMessage().contains("overlaps"));

        Path beyond = dir.resolve("beyond.safetensors");
        header = t.rawHeader();
        ((ObjectNode) header.get("b")).putArray("data_offsets").add(16).add(24);
        t.write(beyond, header);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(beyond)).getMessage()
                .contains("lie outside the data section"));
    }

    @Test
    void shardedCheckpointJoinsShardsAndResolvesAliasesAcrossThem() throws Exception {
        new TinySafetensors().f32("lm_head.weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new TinySafetensors().f32("norm.weight", new long[] {2}, new float[] {5, 6})
                .metadata("embed.weight", "lm_head.weight")
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), """
                {"metadata": {"total_size": 24}, "weight_map": {
                  "lm_head.weight": "model-00001-of-00002.safetensors",
                  "norm.weight": "model-00002-of-00002.safetensors"}}""");
        try (ModelFile f = ModelFiles.open(dir)) {
            assertEquals(3, f.tensors().size());
            assertEquals(2, ((SafetensorsCheckpoint) f).shards().size());
            assertArrayEquals(new long[] {2, 2}, f.tensor("embed.weight").orElseThrow().shape());
            assertEquals(16 + 8 + 2 * (8 + 88), f.fileSize(), 100); // two small files; just sanity
        }
    }

    @Test
    void missingShardIsNamed() throws IOException {
        new TinySafetensors().f32("a", new long[] {1}, new float[] {1}).write(dir.resolve("model-00001-of-00002.safetensors"));
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), """
                {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}""");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(dir));
        assertTrue(e.getMessage().contains("shard model-00002-of-00002.safetensors (listed for tensor 'b') is missing"), e.getMessage());
    }

    @Test
    void folderWithoutWeightsIsRefused() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(dir));
        assertTrue(e.getMessage().contains("without model.safetensors"), e.getMessage());
    }
}
