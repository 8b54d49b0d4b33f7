package llm4j.model.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.loader.smq.SmqWriter;
import llm4j.model.Model;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.smq.SmqQuantizer;
import llm4j.quant.smq.SmqScheme;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SMQ file laid out as SmallMind's GGUF import writes it (docs/SMQ.md §2, §3, §7): only general.*, llama.* and
 * tokenizer.ggml.* keys plus {@code converted_from: "GGUF"}, dims in ggml order ([ne0, ne1]), every tensor SMQ Q8_0
 * with blocks of 64, 1-D tensors as [1, n]. llm4j reads the dims the right way round and runs it.
 */
class SmallMindImportTest {

    @TempDir
    Path dir;

    @Test
    void ggufImportedSmqRuns() throws Exception {
        Path gguf = SharedData.model("gguf/stories260K.gguf");
        Path smq = dir.resolve("imported.smq");
        try (ModelFile f = ModelFiles.open(gguf)) {
            SmqWriter w = new SmqWriter();
            f.metadata().asMap().forEach((k, v) -> {
                if (k.startsWith("general.") || k.startsWith("llama.") || k.startsWith("tokenizer.ggml.")) {
                    w.put(k, v);
                }
            });
            w.put("converted_from", MetadataValue.of(ValueType.STRING, "GGUF"));
            for (TensorView t : f.tensors()) {
                int n = (int) t.elementCount();
                float[] values = new float[n];
                t.matrix(1, n).dequantizeRow(0, values, 0);
                long[] shape = t.shape();
                // the writer stores dims outermost first; SmallMind's importer stores [ne0, rest] and [1, n] for 1-D
                long[] written = shape.length == 1 ? new long[] {n, 1} : new long[] {shape[1], shape[0]};
                w.addTensor(t.name(), SmqScheme.Q8_0, written, 64,
                        (data, scales) -> SmqQuantizer.quantize(SmqScheme.Q8_0, values, 0, n, 0, 64, data, scales));
            }
            w.write(smq);
        }
        try (ModelFile f = ModelFiles.open(smq)) {
            assertArrayEquals(new long[] {64, 512}, f.tensor("token_embd.weight").orElseThrow().shape(), "ggml order kept");
            assertArrayEquals(new long[] {1, 64}, f.tensor("output_norm.weight").orElseThrow().shape());
        }
        try (WorkerPool pool = new WorkerPool(2); Model reference = Model.load(gguf); Model imported = Model.load(smq)) {
            int[] prompt = reference.tokenizer().encode("Once upon a time", true, true);
            assertArrayEquals(prompt, imported.tokenizer().encode("Once upon a time", true, true));
            int[] want = Greedy.decode(reference, prompt, 8, pool);
            int[] got = Greedy.decode(imported, prompt, 8, pool);
            assertEquals(Arrays.toString(want), Arrays.toString(got));
        }
    }
}
