package llm4j.model.load;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;
import org.junit.jupiter.api.Test;

class SessionMemoryTest {

    private static final Path FILE = Path.of("model.gguf");

    private static ModelConfig config(int dim, int hidden, int layers, int heads, int kvHeads, int headDim, int vocab) {
        return new ModelConfig("llama", dim, hidden, layers, heads, kvHeads, headDim, vocab, 2048, 1e-5f,
                RopeStyle.ADJACENT, headDim, 10000f, 1f, 0, false);
    }

    /** stories260K: 64 wide, 172 hidden, 5 layers, 8 heads, 4 KV heads of 8, 512 tokens. */
    @Test
    void sizesMatchAHandCount() throws ModelFormatException {
        SessionMemory m = SessionMemory.of(FILE, config(64, 172, 5, 8, 4, 8, 512), 256, 2, 16, 1, 2);
        // K and V x 5 layers x 256 positions x 32 KV values x 2 bytes
        assertEquals(2L * 5 * 256 * 32 * 2, m.kvBytes());
        // per token: x, xb2 = 64 each; xb = 64; q, att = 64 each; k, v = 32 each; hb, hb2 = 172 each; cos+sin = 8
        long perToken = 64 + 64 + 64 + 64 + 64 + 32 + 32 + 172 + 172 + 8;
        long scratch = 2L * (256 + 8);
        assertEquals(4L * (16 * perToken + scratch + 512), m.activationBytes());
    }

    /**
     * 32 KV heads of 4096 over 8 layers: a file of about 90 MB in Q2_K, a 16 GiB cache at 4096
     * positions. It must be reported, not attempted.
     */
    @Test
    void aKvCacheBeyondTheHeapIsAFormatError() throws ModelFormatException {
        SessionMemory m = SessionMemory.of(FILE, config(256, 256, 8, 32, 32, 4096, 512), 4096, 2, 512, 1, 2);
        assertEquals(16L << 30, m.kvBytes());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.requireFits(FILE, 4L << 30));
        assertTrue(e.getMessage().startsWith("model.gguf: this model needs"), e.getMessage());
        assertTrue(e.getMessage().contains("KV cache 16384 MiB"), e.getMessage());
    }

    /** Every limit at its maximum at once: no product may overflow, and the result is an error. */
    @Test
    void theLargestDeclarableModelNeitherOverflowsNorFits() {
        ModelConfig c = config(ModelLimits.MAX_EMBEDDING, ModelLimits.MAX_FEED_FORWARD, ModelLimits.MAX_LAYERS,
                32, 32, ModelLimits.MAX_HEAD_DIM, ModelLimits.MAX_VOCAB);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> SessionMemory.of(FILE, c, ModelLimits.MAX_CONTEXT, 4, 4096, 4096, 64));
        assertTrue(e.problem().contains("more than Java allows"), e.getMessage());
        assertDoesNotThrow(() -> SessionMemory.of(FILE, c, 1, 4, 1, 1, 1).totalBytes());
    }
}
