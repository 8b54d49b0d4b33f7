package llm4j.loader.formats;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.quant.WeightTensor;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated and byte-flipped SMQ and safetensors files: opening either succeeds, and then every tensor decodes, or
 * fails with a {@link ModelFormatException}; nothing else may escape (no index errors, no huge allocations).
 */
class NewFormatsFuzzTest {

    @TempDir
    Path dir;

    @Test
    void truncatedSmq() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        for (int n = 0; n < bytes.length; n += n < 5000 ? 31 : 4999) {
            probe(Arrays.copyOf(bytes, n), "smq", "truncated to " + n);
        }
    }

    @Test
    void flippedSmqHeader() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("smq/benchmark-model.smq"));
        mutate(bytes, 4739, "smq", 150);
    }

    @Test
    void truncatedSafetensors() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("safetensors/story-llama-2L-128d/model.safetensors"));
        int header = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0) + 8;
        for (int n = 0; n < bytes.length; n += n < header + 16 ? 23 : 100003) {
            probe(Arrays.copyOf(bytes, n), "safetensors", "truncated to " + n);
        }
    }

    @Test
    void flippedSafetensorsHeader() throws IOException {
        byte[] bytes = Files.readAllBytes(SharedData.model("safetensors/story-llama-2L-128d/model.safetensors"));
        int header = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0) + 8;
        mutate(bytes, header, "safetensors", 150);
    }

    private void mutate(byte[] original, int region, String ext, int tries) throws IOException {
        Random rnd = new Random(20261123);
        for (int i = 0; i < tries; i++) {
            byte[] b = original.clone();
            int flips = 1 + rnd.nextInt(4);
            StringBuilder what = new StringBuilder("flipped");
            for (int f = 0; f < flips; f++) {
                int at = rnd.nextInt(region);
                b[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                what.append(' ').append(at);
            }
            probe(b, ext, what.toString());
        }
    }

    private void probe(byte[] bytes, String ext, String what) throws IOException {
        Path file = dir.resolve("probe." + ext);
        Files.write(file, bytes);
        try (ModelFile f = ModelFiles.open(file)) {
            for (TensorView t : f.tensors()) {
                int rows = Math.toIntExact(t.rows());
                int cols = Math.toIntExact(t.cols());
                WeightTensor w = t.matrix(rows, cols);
                float[] row = new float[cols];
                w.dequantizeRow(rows - 1, row, 0);
                w.dot(0, row, 0);
            }
        } catch (ModelFormatException expected) {
            // the one allowed failure
        } catch (RuntimeException e) {
            fail(what + ": " + e, e);
        }
    }
}
