package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import llm4j.loader.TensorView;
import llm4j.model.Model;
import llm4j.model.synth.SynthModel;
import llm4j.model.synth.SynthShape;
import llm4j.model.synth.SynthType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchModelTest {

    @TempDir
    Path dir;

    /** llama-bench's size and params are sums over every tensor in the file; SynthShape knows the count independently. */
    @Test
    void sizeParamsAndTypeOfASyntheticMixture() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SynthModel.write(SynthModel.Spec.of(SynthShape.TINY, SynthType.Q4_K_M, 1), file, 1, (done, total) -> { });
        try (Model m = Model.load(file)) {
            BenchModel b = BenchModel.of(m);
            assertEquals(SynthShape.TINY.parameters(), b.params());
            assertEquals(m.file().tensors().stream().mapToLong(TensorView::byteSize).sum(), b.size());
            assertEquals("Q4_K_M", b.type(), "from general.file_type");
            assertEquals("llama", b.architecture());
            assertEquals("tiny.gguf", b.file());
        }
    }

    @Test
    void descriptionScalesTheParameterCount() {
        assertEquals("llama 135M", new BenchModel("f", "llama", "Q8_0", 1, 134_515_008L, 1).description());
        assertEquals("llama 1.2B", new BenchModel("f", "llama", "Q8_0", 1, 1_235_814_400L, 1).description());
        assertEquals("llama 293K", new BenchModel("f", "llama", "F32", 1, 292_800L, 1).description());
    }

    @Test
    void typeOfAFileWithoutFileTypeIsItsDominantWeightType() throws Exception {
        try (Model m = Model.load(SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent())) {
            assertEquals(m.transformer().weights().layers()[0].wq().weight().type().name(), BenchModel.of(m).type());
        }
    }
}
