package llm4j.model.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.model.Model;
import llm4j.model.convert.ModelConverter;
import llm4j.model.convert.ModelConverter.Options;
import llm4j.model.convert.ModelConverter.Target;
import llm4j.model.load.ModelSpec;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hugging Face folder that asks for llama3 RoPE scaling (Llama 3.1/3.2 checkpoints do) gets the per-pair divisors
 * transformers computes, and its GGUF conversion carries them as {@code rope_freqs.weight} so both run the same.
 */
class Llama3RopeScalingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    /** The shipped story model with config.json's rope_scaling replaced; the other files are copied. */
    private static Path folderWith(String name, String ropeScalingJson) throws IOException {
        Path src = SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent();
        Path out = Files.createDirectories(dir.resolve(name));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("config.json")) {
                    Files.copy(f, out.resolve(f.getFileName()));
                }
            }
        }
        ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        cfg.set("rope_scaling", JSON.readTree(ropeScalingJson));
        JSON.writeValue(out.resolve("config.json").toFile(), cfg);
        return out;
    }

    /**
     * transformers' formulation (scaled inverse frequencies), independent of llm4j's divisor form: the divisor of a
     * pair is the unscaled inverse frequency over the scaled one.
     */
    private static double[] transformersDivisors(double base, int dim, double factor, double low, double high, int original) {
        double[] out = new double[dim / 2];
        for (int i = 0; i < out.length; i++) {
            double inv = 1.0 / Math.pow(base, 2.0 * i / dim);
            double wavelen = 2 * Math.PI / inv;
            double scaled;
            if (wavelen > original / low) {
                scaled = inv / factor;
            } else if (wavelen < original / high) {
                scaled = inv;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                scaled = (1 - smooth) * inv / factor + smooth * inv;
            }
            out[i] = inv / scaled;
        }
        return out;
    }

    @Test
    void divisorsFollowTransformersFormula() throws Exception {
        Path folder = folderWith("llama3-divisors",
                "{\"rope_type\":\"llama3\",\"factor\":4.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                        + "\"original_max_position_embeddings\":64}");
        try (ModelFile f = ModelFiles.open(folder)) {
            ModelSpec spec = ModelSpec.of(f);
            float[] got = spec.ropeFactors();
            assertNotNull(got);
            double[] want = transformersDivisors(10000, 16, 4.0, 1.0, 4.0, 64);
            assertEquals(want.length, got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(want[i], got[i], 1e-5 * want[i], "pair " + i);
            }
            // this config puts pairs in all three bands: kept, blended, stretched
            assertEquals(1f, got[0]);
            assertEquals(4f, got[got.length - 1]);
            assertTrue(Arrays.toString(got).matches(".*, [123]\\.\\d+.*"), Arrays.toString(got));
        }
    }

    @Test
    void scaledFolderRunsDifferentlyAndItsGgufConversionRunsTheSame() throws Exception {
        Path plain = SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent();
        Path scaled = folderWith("llama3-run",
                "{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                        + "\"original_max_position_embeddings\":32}");
        int[] prompt;
        int[] fromPlain;
        try (Model m = Model.load(plain)) {
            prompt = m.tokenizer().encode("Once upon a time, there was a little girl who liked to play", true, true);
            fromPlain = Greedy.decode(m, prompt, 64, pool);
        }
        int[] fromScaled;
        try (Model m = Model.load(scaled)) {
            fromScaled = Greedy.decode(m, prompt, 64, pool);
        }
        assertFalse(Arrays.equals(fromPlain, fromScaled), "llama3 scaling changed nothing over 64 tokens");

        Path gguf = dir.resolve("llama3.gguf");
        ModelConverter.convert(scaled, gguf, new Options(Target.GGUF, null, 32), (w, t) -> { });
        try (ModelFile f = ModelFiles.open(gguf)) {
            assertTrue(f.tensor("rope_freqs.weight").isPresent());
        }
        try (Model m = Model.load(gguf)) {
            assertArrayEquals(fromScaled, Greedy.decode(m, prompt, 64, pool));
        }
    }

    @Test
    void impossibleParametersAreNamed() throws Exception {
        Path folder = folderWith("llama3-bad", "{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":4.0,\"high_freq_factor\":1.0}");
        ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(ModelFormatException.class, () -> Model.load(folder));
        assertTrue(e.getMessage().contains("low_freq_factor"), e.getMessage());
    }
}
