package llm4j.loader.smq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorLayout;
import llm4j.loader.TensorView;
import llm4j.quant.smq.SmqScheme;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmqReaderTest {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void sampleListsAll29Q8Tensors() throws Exception {
        try (ModelFile f = ModelFiles.open(SharedData.model("smq/benchmark-model.smq"))) {
            assertEquals("smq", f.format());
            assertEquals(29, f.tensors().size());
            assertEquals(50, f.metadata().getInt("vocab_size"), "numeric strings read as numbers");
            assertEquals(64, f.metadata().getInt("embed_dim"));
            assertEquals("benchmark_tiny", f.metadata().getString("model_name"));
            TensorView first = f.tensors().getFirst();
            assertEquals("tensor_000", first.name());
            assertEquals(4739, first.offset(), "first tensor byte at an odd offset");
            for (TensorView t : f.tensors()) {
                TensorLayout.SmqBlocks blocks = (TensorLayout.SmqBlocks) t.layout();
                assertEquals(SmqScheme.Q8_0, blocks.scheme());
                assertEquals(32, blocks.blockSize());
                assertEquals("smq-q8_0/32", t.typeLabel());
            }
            // the fused qkv weight is stored [192, 64] row-major: ggml order is [64, 192]
            assertTrue(f.tensors().stream().anyMatch(t -> t.shape()[0] == 64 && t.shape()[1] == 192));
            // decoding through the kernel equals decoding by hand: int8 code × scale of its block
            for (TensorView t : f.tensors()) {
                TensorLayout.SmqBlocks b = (TensorLayout.SmqBlocks) t.layout();
                int rows = (int) t.rows();
                int cols = (int) t.cols();
                float[] row = new float[cols];
                t.matrix(rows, cols).dequantizeRow(rows - 1, row, 0);
                for (int j = 0; j < cols; j++) {
                    long i = (long) (rows - 1) * cols + j;
                    float expected = t.data().get(ValueLayout.JAVA_BYTE, i) * b.scales().get(LE_FLOAT, 4 * (i / 32));
                    assertEquals(expected, row[j]);
                }
            }
        }
    }

    @Test
    void reservedSchemeIsRefusedByName() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        // first directory entry at 32 + 183; its scheme id at +64
        int at = 32 + 183 + 64;
        bytes[at] = 20;
        Path file = dir.resolve("q4k.smq");
        Files.write(file, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(file));
        assertTrue(e.getMessage().contains("uses SMQ scheme Q4_K (id 20), a reserved id"), e.getMessage());
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        Path file = dir.resolve("cut.smq");
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(file));
        assertTrue(e.getMessage().contains("lies outside the file"), e.getMessage());
    }

    @Test
    void directoryPastTheEndIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        bytes[16] = (byte) 0xFF; // tensor count 255 + ...
        bytes[17] = (byte) 0xFF;
        Path file = dir.resolve("many.smq");
        Files.write(file, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(file));
        assertTrue(e.getMessage().contains("past the end of the file"), e.getMessage());
        assertArrayEquals(new byte[] {'S', 'M', 'Q', 'v'}, java.util.Arrays.copyOf(bytes, 4));
    }
}
