package llm4j.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.quant.GgmlType;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every tensor of every shipped GGUF dequantizes to ggml's own sums and first values. */
class DequantGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories260K-F16", "stories260K-BF16", "stories260K-Q8_0", "stories260K-Q5_0",
            "stories260K-Q4_1", "stories260K-Q4_0", "random-llama-256d-F32", "random-llama-256d-BF16",
            "random-llama-256d-Q6_K", "random-llama-256d-Q5_K", "random-llama-256d-Q4_K_M-like",
            "random-llama-256d-Q3_K", "random-llama-256d-Q2_K"})
    void matchesGgmlToFloat(String model) throws Exception {
        String golden = model.equals("stories260K") ? "stories260K-F32" : model;
        List<JsonNode> expected = SharedData.jsonLines("golden/dequant/" + golden + ".jsonl");
        try (ModelFile file = ModelFiles.open(SharedData.model("gguf/" + model + ".gguf"))) {
            for (JsonNode e : expected) {
                TensorView view = file.tensor(e.get("name").asText()).orElseThrow();
                int cols = Math.toIntExact(view.cols());
                int rows = Math.toIntExact(view.rows());
                WeightTensor w = WeightTensors.wrap(view.type(), view.data(), rows, cols);
                float[] row = new float[cols];
                double sum = 0;
                double sumsq = 0;
                float[] first = new float[Math.min(8, rows * cols)];
                int seen = 0;
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, row, 0);
                    for (float v : row) {
                        sum += v;
                        sumsq += (double) v * v;
                        if (seen < first.length) {
                            first[seen++] = v;
                        }
                    }
                }
                String what = model + " " + view.name();
                assertClose(e.get("sum").asDouble(), sum, what + " sum");
                assertClose(e.get("sumsq").asDouble(), sumsq, what + " sumsq");
                JsonNode f = e.get("first");
                for (int i = 0; i < first.length; i++) {
                    float want = (float) f.get(i).asDouble();
                    // exact for most types; one ulp where ggml may fuse a multiply-add (Q4_1, K-quants)
                    float ulps = view.type() == GgmlType.Q4_1 || view.type().blockSize() == 256 ? 1 : 0;
                    assertEquals(want, first[i], ulps * Math.ulp(want), what + " first[" + i + "]");
                }
            }
        }
    }

    private static void assertClose(double want, double got, String what) {
        // goldens carry 9 significant digits
        assertEquals(want, got, 1e-6 * Math.abs(want) + 1e-6, what);
    }
}
