package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import llm4j.loader.TensorView;
import llm4j.model.Model;
import llm4j.model.synth.SynthModel;
import llm4j.model.synth.SynthShape;
import llm4j.model.synth.SynthType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RooflineTest {

    @TempDir
    Path dir;

    @Test
    void fractionIsSpeedTimesBytesOverBandwidth() {
        // 50 t/s × 100 MB per token = 5 GB/s, half of a 10 GB/s bandwidth
        assertEquals(0.5, Roofline.fraction(50, 100_000_000L, 10e9), 1e-12);
        assertEquals(100.0, Roofline.boundTokensPerSecond(100_000_000L, 10e9), 1e-9);
        assertEquals(1.0, Roofline.fraction(Roofline.boundTokensPerSecond(123_456_789L, 7.5e9), 123_456_789L, 7.5e9), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Roofline.fraction(1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Roofline.fraction(1, 1, Double.NaN));
    }

    /** stories260K has its own output.weight: every 2-D tensor but the embedding counts. */
    @Test
    void untiedOutputCountsEveryMatrixButTheEmbedding() throws Exception {
        try (Model m = Model.load(SharedData.model("gguf/stories260K-Q8_0.gguf"))) {
            assertTrue(m.file().tensor("output.weight").isPresent());
            assertEquals(matrixBytesFromTheFile(m), Roofline.bytesPerToken(m.transformer().weights()));
        }
    }

    /** A synthetic model ties its embeddings: the embedding matrix is read once, as the output projection. */
    @Test
    void tiedEmbeddingsAreReadOnceAsOutput() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SynthModel.write(SynthModel.Spec.of(SynthShape.TINY, SynthType.Q8_0, 1), file, 1, (done, total) -> { });
        try (Model m = Model.load(file)) {
            assertFalse(m.file().tensor("output.weight").isPresent());
            long embedding = m.file().tensor("token_embd.weight").orElseThrow().byteSize();
            assertEquals(matrixBytesFromTheFile(m) + embedding, Roofline.bytesPerToken(m.transformer().weights()));
        }
    }

    /** The oracle, from the file's tensor table rather than the bound weights: 2-D tensors except token_embd. */
    private static long matrixBytesFromTheFile(Model m) {
        long bytes = 0;
        for (TensorView t : m.file().tensors()) {
            if (t.dimensions() == 2 && !t.name().equals("token_embd.weight")) {
                bytes += t.byteSize();
            }
        }
        return bytes;
    }
}
