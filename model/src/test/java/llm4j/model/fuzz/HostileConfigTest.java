package llm4j.model.fuzz;

import static llm4j.testdata.gguf.GgufValue.f32;
import static llm4j.testdata.gguf.GgufValue.i32;
import static llm4j.testdata.gguf.GgufValue.string;
import static llm4j.testdata.gguf.GgufValue.u32;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import llm4j.loader.ModelFormatException;
import llm4j.model.parallel.WorkerPool;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.ScratchDir;
import llm4j.testdata.gguf.GgufEditor;
import llm4j.testdata.gguf.GgufValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real model (stories260K: 64 wide, 5 layers, 8 heads sharing 4 KV heads of 8, 512 tokens) that
 * parses fine but declares impossible hyper-parameters. Each must be refused with an error naming
 * the file and the key, before anything is allocated from it, never crash the forward pass.
 */
class HostileConfigTest {

    private static ScratchDir scratch;
    private static FuzzCases cases;
    private static WorkerPool pool;
    private static byte[] original;

    @BeforeAll
    static void setUp() throws IOException {
        scratch = new ScratchDir("llm4j-config");
        cases = new FuzzCases(Duration.ofSeconds(20), ModelFormatException.class);
        pool = new WorkerPool(2);
        original = Files.readAllBytes(SharedData.model("gguf/stories260K.gguf"));
    }

    @AfterAll
    static void tearDown() {
        pool.close();
        cases.close();
        scratch.close();
    }

    static Stream<Arguments> impossibleValues() {
        return Stream.of(
                bad("llama.attention.head_count", u32(0)),
                bad("llama.attention.head_count", u32(1L << 31)),
                bad("llama.attention.head_count", u32(1 << 20)),
                bad("llama.attention.head_count_kv", u32(0)),
                bad("llama.attention.head_count_kv", u32(3)),
                bad("llama.attention.head_count_kv", u32(16)),
                bad("llama.embedding_length", u32(0)),
                bad("llama.embedding_length", u32(Integer.MAX_VALUE)),
                bad("llama.feed_forward_length", u32(Integer.MAX_VALUE)),
                bad("llama.block_count", u32(Integer.MAX_VALUE)),
                bad("llama.block_count", u32(1_000_000)),
                bad("llama.context_length", u32(0)),
                bad("llama.context_length", u32(Integer.MAX_VALUE)),
                bad("llama.vocab_size", u32(Integer.MAX_VALUE)),
                bad("llama.vocab_size", u32(0)),
                bad("llama.rope.dimension_count", u32(16)),
                bad("llama.rope.dimension_count", u32(7)),
                bad("llama.rope.dimension_count", u32(0)),
                bad("llama.attention.key_length", u32(Integer.MAX_VALUE - 1)),
                bad("llama.attention.sliding_window", i32(-1)),
                bad("llama.attention.layer_norm_rms_epsilon", f32(Float.NaN)),
                bad("llama.attention.layer_norm_rms_epsilon", f32(Float.POSITIVE_INFINITY)),
                bad("llama.attention.layer_norm_rms_epsilon", f32(-1e-5f)),
                bad("llama.attention.layer_norm_rms_epsilon", f32(0f)),
                bad("llama.rope.freq_base", f32(Float.NaN)),
                bad("llama.rope.freq_base", f32(Float.NEGATIVE_INFINITY)),
                bad("llama.rope.freq_base", f32(0f)),
                bad("llama.rope.freq_base", f32(-10000f)),
                bad("llama.rope.scale_linear", f32(0f)),
                bad("llama.rope.scale_linear", f32(Float.NaN)),
                bad("llama.rope.scale_linear", f32(-2f)),
                bad("general.architecture", u32(7)),
                bad("general.architecture", string("gpt2\n\u001b[31mred")),
                bad("llama.block_count", string("5")),
                bad("llama.attention.head_count", GgufValue.array(GgufValue.UINT32, u32(8), u32(8))));
    }

    private static Arguments bad(String key, GgufValue value) {
        return Arguments.of(key, value);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impossibleValues")
    void impossibleHyperParametersAreRefused(String key, GgufValue value) {
        ModelFormatException e = rejected(key + " = " + value, m -> m.set(key, value));
        String shortKey = key.substring(key.lastIndexOf('.') + 1);
        assertTrue(e.getMessage().contains(shortKey), "error does not name " + shortKey + ": " + e.getMessage());
    }

    @Test
    void linearRopeScalingFactorMustBePositive() {
        for (float factor : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            rejected("rope scaling factor " + factor, m -> m.set("llama.rope.scaling.type", string("linear"))
                    .set("llama.rope.scaling.factor", f32(factor)));
        }
    }

    /**
     * 6 heads of 1431655776 (2^32 + 64 wraps to 64) and 3 KV heads (2^32 + 32 wraps to 32): in int
     * arithmetic the query and KV widths match the tensors exactly, and the forward pass would then
     * index head vectors a billion floats long.
     */
    @Test
    void headSizesWhoseProductsWrapAroundAreRefused() {
        rejected("wrapping head size", m -> m.set("llama.attention.head_count", u32(6))
                .set("llama.attention.head_count_kv", u32(3))
                .set("llama.attention.key_length", u32(1431655776))
                .set("llama.attention.value_length", u32(1431655776)));
    }

    /**
     * A tokenizer with one token more than the embedding has rows (vocab_size says 512, the token
     * list has 513): the extra token's id would index past the embedding matrix.
     */
    @Test
    void aTokenizerLargerThanTheModelIsRefused() throws IOException {
        GgufValue[] tokens = new GgufValue[513];
        GgufValue[] scores = new GgufValue[513];
        GgufValue[] types = new GgufValue[513];
        try (var file = llm4j.loader.ModelFiles.open(SharedData.model("gguf/stories260K.gguf"))) {
            String[] texts = file.metadata().getStringArray("tokenizer.ggml.tokens");
            for (int i = 0; i < 513; i++) {
                tokens[i] = string(i < 512 ? texts[i] : "zzzzqqq");
                scores[i] = f32(-i);
                types[i] = i32(i < 512 ? 1 : 4); // the extra one user-defined: matched literally in text
            }
        } catch (ModelFormatException e) {
            throw new AssertionError(e);
        }
        ModelFormatException e = rejected("513 tokens for 512 rows", m -> m.set("llama.vocab_size", u32(512))
                .set("tokenizer.ggml.tokens", GgufValue.array(GgufValue.STRING, tokens))
                .set("tokenizer.ggml.scores", GgufValue.array(GgufValue.FLOAT32, scores))
                .set("tokenizer.ggml.token_type", GgufValue.array(GgufValue.INT32, types)));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    }

    @Test
    void missingRequiredKeysAreNamed() {
        for (String key : new String[] {"general.architecture", "llama.embedding_length", "llama.block_count",
            "llama.attention.head_count", "llama.feed_forward_length"}) {
            ModelFormatException e = rejected("without " + key, m -> m.remove(key));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    /** The checks must not refuse what a real model legitimately does. */
    @Test
    void plausibleVariationsStillLoad() {
        loads("no optional keys", m -> m.remove("llama.context_length").remove("llama.rope.dimension_count")
                .remove("llama.attention.layer_norm_rms_epsilon"));
        loads("explicit head sizes", m -> m.set("llama.attention.key_length", u32(8))
                .set("llama.attention.value_length", u32(8)).set("llama.vocab_size", u32(512)));
        loads("rope base 1e6, eps 1e-6", m -> m.set("llama.rope.freq_base", f32(1e6f))
                .set("llama.attention.layer_norm_rms_epsilon", f32(1e-6f)));
        loads("linear scaling 4", m -> m.set("llama.rope.scaling.type", string("linear"))
                .set("llama.rope.scaling.factor", f32(4f)));
        loads("context of a million", m -> m.set("llama.context_length", u32(1 << 20)));
        loads("partial rope", m -> m.set("llama.rope.dimension_count", u32(4)));
    }

    private static ModelFormatException rejected(String what, UnaryOperator<GgufEditor> edit) {
        ModelFormatException e = run(what, edit);
        assertNotNull(e, what + " was accepted");
        assertTrue(e.getMessage().startsWith(e.file().toString()), "no file in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    private static void loads(String what, UnaryOperator<GgufEditor> edit) {
        ModelFormatException e = run(what, edit);
        assertNull(e, () -> what + " was refused: " + e.getMessage());
    }

    private static ModelFormatException run(String what, UnaryOperator<GgufEditor> edit) {
        Path file = scratch.resolve("edited.gguf");
        try {
            Files.write(file, edit.apply(GgufEditor.of(original)).toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return (ModelFormatException) cases.check(what, () -> {
            LoadAndStep.run(file, pool);
            return null;
        });
    }
}
