package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import llm4j.model.generate.Session;
import llm4j.quant.kv.KvCodecs;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A prompt-cache image restored into a fresh cache continues exactly (bit for bit) as a run that
 * never saved anything, for any shared prefix: shorter than the sinks, inside the key-smoothing
 * calibration window, and past it.
 */
class PromptCacheRestoreTest {

    private static final String ID = "model-id";
    private static Stories model;
    /** 130 tokens: the golden prompt and its greedy continuation. */
    private static int[] text;

    @BeforeAll
    static void load() throws Exception {
        model = Stories.load();
        int[] prompt = SharedData.ints(Stories.greedyGoldens().getFirst().get("prompt_ids"));
        int[] more = model.greedy(model.cache(256, settings()), prompt, 130 - prompt.length, null);
        text = Arrays.copyOf(prompt, 130);
        System.arraycopy(more, 0, text, prompt.length, more.length);
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    /** q4_0 keys: rotated and channel-smoothed, the configuration that needs the calibration replayed. */
    private static KvSettings settings() {
        return KvSettings.of(KvCodecs.byName("q4_0"), KvCodecs.byName("q8_0"));
    }

    /**
     * Logits after feeding {@code tokens[from..]} to a session whose cache already holds {@code tokens[..from)}, in
     * batches of 4: below every format's {@code tiledMinBatch}, so each token takes the per-token kernels however
     * the fresh and the restored runs split their prompts, and their logits can be compared bit for bit.
     */
    private static float[] continueFrom(PagedKvCache kv, int from, int[] tokens) {
        Session s = new Session(model.transformer, kv, model.pool, 4);
        s.resumeAt(from);
        s.feed(tokens, from, tokens.length - from);
        return s.logits().clone();
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 30, 67, 68, 90})
    void restoredPrefixContinuesExactly(int shared) throws Exception {
        PagedKvCache saved = model.cache(256, settings());
        continueFrom(saved, 0, text);
        byte[] image = PromptCacheFile.encode(ID, saved, text, "payload".getBytes(StandardCharsets.UTF_8));
        assertNotNull(image);

        // a new prompt that shares `shared` tokens, then differs
        int[] prompt = Arrays.copyOf(text, shared + 20);
        for (int i = shared; i < prompt.length; i++) {
            prompt[i] = 100 + i;
        }
        PagedKvCache restored = model.cache(256, settings());
        PromptCacheFile.LoadResult r = PromptCacheFile.decode(image, "memory", ID, restored, prompt);
        assertNull(r.mismatch());
        assertEquals(shared, r.restored());
        assertEquals("payload", new String(r.payload(), StandardCharsets.UTF_8));
        assertArrayEquals(text, r.tokens());

        float[] fresh = continueFrom(model.cache(256, settings()), 0, prompt);
        assertArrayEquals(fresh, continueFrom(restored, r.restored(), prompt), "logits after " + shared + " restored");
    }

    @Test
    void underACapTheWindowIsReleasedAndOnlyLongPrefixesRestore() throws Exception {
        KvSettings capped = settings().withCap(1 << 20, KvOverflow.ERROR);
        PagedKvCache saved = model.cache(256, capped);
        continueFrom(saved, 0, text);
        byte[] image = PromptCacheFile.encode(ID, saved, text, null);

        int[] prompt = Arrays.copyOf(text, 100);
        PagedKvCache restored = model.cache(256, capped);
        PromptCacheFile.LoadResult r = PromptCacheFile.decode(image, "m", ID, restored, prompt);
        assertEquals(99, r.restored());
        PagedKvCache fresh = model.cache(256, capped);
        // the fresh run computes token 99 inside a batch, the restored one as a single step: not the same code
        // path through the layer, so equal within rounding
        assertArrayEquals(continueFrom(fresh, 0, prompt), continueFrom(restored, 99, prompt), 1e-4f);
        assertEquals(fresh.bytes(), restored.bytes(), "the same accounting as a cache that prefilled everything");

        PromptCacheFile.LoadResult shortPrefix = PromptCacheFile.decode(image, "m", ID, model.cache(256, capped),
                Arrays.copyOf(text, 30));
        assertEquals(0, shortPrefix.restored(), "a prefix inside the window needs the released rows");
    }

    @Test
    void rewindingInsideTheCalibrationWindowContinuesExactly() {
        PagedKvCache kv = model.cache(256, settings());
        continueFrom(kv, 0, text);
        kv.truncate(40); // a chat rewinds to a common prefix
        int[] other = Arrays.copyOf(text, 110);
        Arrays.fill(other, 40, 110, 200);
        float[] fresh = continueFrom(model.cache(256, settings()), 0, other);
        assertArrayEquals(fresh, continueFrom(kv, 40, other));
    }

    @Test
    void anotherModelOrConfigurationIsRefusedAndDamageIsAnError() {
        PagedKvCache saved = model.cache(256, settings());
        continueFrom(saved, 0, text);
        byte[] image = PromptCacheFile.encode(ID, saved, text, null);
        assertNotNull(image);

        PromptCacheFile.LoadResult other = assertDoesNotThrow(() -> PromptCacheFile.decode(image, "m", "other", model.cache(256, settings()), text));
        assertTrue(other.mismatch().reason().contains("another model"), other.mismatch().reason());
        PromptCacheFile.LoadResult config = assertDoesNotThrow(() -> PromptCacheFile.decode(image, "m", ID,
                model.cache(256, KvSettings.defaults()), text));
        assertTrue(config.mismatch().reason().contains("another KV cache configuration"), config.mismatch().reason());

        for (int at : new int[] {40, image.length / 2, image.length - 9}) {
            byte[] damaged = image.clone();
            damaged[at] ^= 0x10;
            assertThrows(PromptCacheFile.PromptCacheException.class,
                    () -> PromptCacheFile.decode(damaged, "m", ID, model.cache(256, settings()), text), "byte " + at);
        }
        byte[] truncated = Arrays.copyOf(image, image.length - 100);
        assertThrows(PromptCacheFile.PromptCacheException.class,
                () -> PromptCacheFile.decode(truncated, "m", ID, model.cache(256, settings()), text));
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }
}
