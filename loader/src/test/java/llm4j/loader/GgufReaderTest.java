package llm4j.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.gguf.GgufFile;
import llm4j.quant.GgmlType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader against ggml's own description of the shipped files (golden/dequant lists every tensor). */
class GgufReaderTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories260K-F16", "stories260K-BF16", "stories260K-Q8_0", "stories260K-Q5_0",
            "stories260K-Q4_1", "stories260K-Q4_0", "random-llama-256d-F32", "random-llama-256d-BF16",
            "random-llama-256d-Q6_K", "random-llama-256d-Q5_K", "random-llama-256d-Q4_K_M-like",
            "random-llama-256d-Q3_K", "random-llama-256d-Q2_K"})
    void tensorTableMatchesGgml(String model) throws Exception {
        String golden = model.equals("stories260K") ? "stories260K-F32" : model;
        List<JsonNode> expected = SharedData.jsonLines("golden/dequant/" + golden + ".jsonl");
        try (ModelFile file = ModelFiles.open(SharedData.model("gguf/" + model + ".gguf"))) {
            GgufFile gguf = assertInstanceOf(GgufFile.class, file);
            assertEquals(expected.size(), file.tensors().size(), "tensor count");
            for (int i = 0; i < expected.size(); i++) {
                JsonNode e = expected.get(i);
                TensorView t = file.tensors().get(i);
                assertEquals(e.get("name").asText(), t.name());
                assertEquals(GgmlType.byName(e.get("type").asText()), t.type(), t.name());
                long[] shape = t.shape();
                for (int d = 0; d < 4; d++) {
                    long want = e.get("ne").get(d).asLong();
                    assertEquals(want, d < shape.length ? shape[d] : 1, t.name() + " ne[" + d + "]");
                }
                assertEquals(e.get("offset").asLong(), t.offset() - gguf.dataOffset(), t.name() + " offset");
            }
        }
    }

    @Test
    void readsStories260KMetadata() throws Exception {
        try (ModelFile file = ModelFiles.open(SharedData.model("gguf/stories260K.gguf"))) {
            Metadata md = file.metadata();
            assertEquals("llama", md.getString("general.architecture"));
            assertEquals(64, md.getInt("llama.embedding_length"));
            assertEquals(5, md.getInt("llama.block_count"));
            assertEquals(512, md.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(512, md.getFloatArray("tokenizer.ggml.scores").length);
            // PAD is stored as u32 -1: it must read back unsigned, not as -1
            assertEquals(4294967295L, md.getLong("tokenizer.ggml.padding_token_id"));
            assertTrue(md.get("tokenizer.ggml.tokens").orElseThrow().typeLabel().equals("array[string]"));
        }
    }
}
