package llm4j.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our K-quantizers against ggml's: every K-quant tensor of the shipped random-llama-256d files was
 * made by ggml's quantize_row_q*_K_ref from the F32 file, so quantizing the same F32 rows must give
 * the same bytes, block for block.
 */
class KQuantsMatchGgmlTest {

    private static final List<GgmlType> K_QUANTS = List.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
            GgmlType.Q6_K);

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K", "Q4_K_M-like", "Q5_K", "Q6_K"})
    void quantizingTheF32SourceReproducesGgmlBytes(String variant) throws Exception {
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        try (ModelFile source = ModelFiles.open(SharedData.model("gguf/random-llama-256d-F32.gguf"));
             ModelFile quantized = ModelFiles.open(SharedData.model("gguf/random-llama-256d-" + variant + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            for (TensorView expected : quantized.tensors()) {
                if (!K_QUANTS.contains(expected.type())) {
                    continue;
                }
                TensorView f32 = source.tensor(expected.name()).orElseThrow();
                assertEquals(GgmlType.F32, f32.type(), expected.name());
                float[] values = f32.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                QuantFormat format = QuantFormats.of(expected.type());
                MemorySegment ours = arena.allocate(expected.byteSize());
                format.quantize(values, 0, values.length, ours, 0);
                int blockBytes = expected.type().blockBytes();
                int blocks = Math.toIntExact(expected.byteSize() / blockBytes);
                int differing = 0;
                for (int b = 0; b < blocks; b++) {
                    long at = (long) b * blockBytes;
                    if (MemorySegment.mismatch(ours, at, at + blockBytes, expected.data(), at, at + blockBytes) >= 0) {
                        differing++;
                    }
                }
                if (differing > 0) {
                    mismatches.add(expected.name() + " (" + expected.type() + "): " + differing + " of " + blocks + " blocks differ");
                }
                checked++;
            }
        }
        assertTrue(checked > 0, "no K-quant tensors in " + variant);
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }
}
