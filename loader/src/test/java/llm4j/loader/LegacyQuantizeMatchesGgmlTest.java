package llm4j.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stories260K variants in shared/ were written by ggml's {@code ggml_quantize_chunk} from the F32
 * model. Re-quantizing the F32 tensors with llm4j must give the same bytes, row for row; the
 * lossless direction (F16/BF16 back to F32 is exact only for values the type can hold) is covered by
 * decoding and re-encoding.
 */
class LegacyQuantizeMatchesGgmlTest {

    private static final Set<GgmlType> LEGACY = EnumSet.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0);

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q5_0", "Q4_1", "Q4_0"})
    void quantizingTheF32SourceGivesGgmlsBytes(String variant) throws Exception {
        GgmlType fileType = GgmlType.byName(variant);
        int compared = 0;
        int comparedOfFileType = 0;
        try (ModelFile source = ModelFiles.open(SharedData.model("gguf/stories260K.gguf"));
             ModelFile quantized = ModelFiles.open(SharedData.model("gguf/stories260K-" + variant + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            for (TensorView q : quantized.tensors()) {
                if (q.dimensions() != 2 || !LEGACY.contains(q.type())) {
                    continue;
                }
                TensorView f32 = source.tensor(q.name()).orElseThrow();
                assertEquals(GgmlType.F32, f32.type(), q.name());
                assertEquals(java.util.Arrays.toString(f32.shape()), java.util.Arrays.toString(q.shape()), q.name());
                assertSameBytes(QuantFormats.of(q.type()), f32, q, arena);
                compared++;
                if (q.type() == fileType) {
                    comparedOfFileType++;
                }
            }
        }
        // every 2-D tensor is of the file's type, except ffn_down (172 wide) which falls back to F16
        assertEquals(37, compared, "2-D tensors compared");
        assertTrue(comparedOfFileType >= 32, "only " + comparedOfFileType + " tensors of type " + fileType);
    }

    private static void assertSameBytes(QuantFormat format, TensorView f32, TensorView q, Arena arena) {
        int cols = Math.toIntExact(q.cols());
        int rows = Math.toIntExact(q.rows());
        long rowBytes = q.type().bytesFor(cols);
        assertEquals(rowBytes * rows, q.byteSize(), q.name());
        float[] row = new float[cols];
        MemorySegment ours = arena.allocate(rowBytes);
        for (int r = 0; r < rows; r++) {
            QuantFormats.of(GgmlType.F32).dequantize(f32.data(), (long) r * cols * 4, row, 0, cols);
            format.quantize(row, 0, cols, ours, 0);
            long mismatch = ours.mismatch(q.data().asSlice(r * rowBytes, rowBytes));
            if (mismatch >= 0) {
                fail(q.name() + " (" + q.type() + ") row " + r + " differs from ggml at byte " + mismatch
                        + " of the row (block " + mismatch / q.type().blockBytes() + ")");
            }
        }
    }

    /** Decoding ggml's F16/BF16 bytes and encoding them again is the identity: nothing is lost either way. */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfFloatTensorsSurviveDecodeAndEncode(String variant) throws Exception {
        try (ModelFile quantized = ModelFiles.open(SharedData.model("gguf/stories260K-" + variant + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            int checked = 0;
            for (TensorView q : quantized.tensors()) {
                if (q.dimensions() != 2) {
                    continue;
                }
                QuantFormat format = QuantFormats.of(q.type());
                int n = Math.toIntExact(q.elementCount());
                float[] values = new float[n];
                format.dequantize(q.data(), 0, values, 0, n);
                MemorySegment again = arena.allocate(q.byteSize());
                format.quantize(values, 0, n, again, 0);
                assertEquals(-1, again.mismatch(q.data()), q.name());
                checked++;
            }
            assertEquals(37, checked);
        }
    }
}
