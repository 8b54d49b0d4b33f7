package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.generate.Session;
import llm4j.quant.kv.F16Codec;
import llm4j.quant.kv.KvCodecs;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** stories260K (640 bytes per token in f16) generating under memory caps. */
class KvCapTest {

    private static Stories model;
    private static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        model = Stories.load();
        prompt = SharedData.ints(Stories.greedyGoldens().getFirst().get("prompt_ids"));
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    private static KvSettings capped(long cap, KvOverflow overflow) {
        return KvSettings.defaults().withCap(cap, overflow);
    }

    @Test
    void pagedF16CacheReproducesLlamaCppGreedyText() {
        for (JsonNode rec : Stories.greedyGoldens()) {
            int[] ids = SharedData.ints(rec.get("prompt_ids"));
            int[] want = SharedData.ints(rec.get("generated_ids"));
            int[] got = model.greedy(model.cache(256, KvSettings.defaults()), ids, want.length, null);
            assertArrayEquals(want, got, rec.get("prompt").asText());
        }
    }

    @Test
    void bytesPerTokenFollowTheBlockSizes() {
        KvSettings s = KvSettings.defaults().withLadder(java.util.List.of(F16Codec.INSTANCE, KvCodecs.byName("q8_0"),
                KvCodecs.byName("q4_1"), KvCodecs.byName("q4_0"))).withCap(1 << 20, KvOverflow.ERROR);
        KvStats stats = model.cache(64, s).stats();
        assertEquals(640L, stats.bytesPerToken().get("f16"), "5 layers x 2 x 32 values x 2 bytes");
        assertEquals(8.5 / 16, stats.bytesPerToken().get("q8_0") / 640.0, 0.01 * 8.5 / 16);
        assertEquals(5.0 / 16, stats.bytesPerToken().get("q4_1") / 640.0, 0.01 * 5 / 16);
        assertEquals(4.5 / 16, stats.bytesPerToken().get("q4_0") / 640.0, 0.01 * 4.5 / 16);
    }

    @Test
    void ladderHoldsTwoThousandTokensInHalfAMegabyte() {
        long cap = 512 * 1024;
        PagedKvCache kv = model.cache(2048, capped(cap, KvOverflow.ERROR));
        model.greedy(kv, prompt, 2000, (i, c) -> assertTrue(c.bytes() <= cap && kv.peakBytes() <= cap,
                "token " + i + ": " + c.bytes() + " bytes, peak " + kv.peakBytes()));
        KvStats stats = kv.stats();
        stats.lines().forEach(System.out::println);
        assertEquals(prompt.length + 2000, stats.positionsHeld(), "nothing evicted");
        assertEquals(0, stats.evictions());
        assertEquals(java.util.List.of("f16", "q8_0", "q4_0"), stats.rungs());
        assertTrue(stats.positionsAtRung(2) > 0, "the oldest positions reached q4_0");
        assertTrue(stats.requantizations() > 0);
        assertTrue(stats.peakBytes() <= cap);
        // sinks and the recent window stay at f16 in every layer
        for (int[] layer : stats.positionsPerRung()) {
            assertTrue(layer[0] >= 256 + 4, "f16 positions " + layer[0]);
        }
    }

    @Test
    void evictionKeepsGoingUnderAQuarterMegabyte() {
        long cap = 256 * 1024;
        PagedKvCache kv = model.cache(2048, capped(cap, KvOverflow.EVICT));
        model.greedy(kv, prompt, 2000, (i, c) -> assertTrue(c.bytes() <= cap && kv.peakBytes() <= cap,
                "token " + i + ": " + c.bytes() + " bytes"));
        KvStats stats = kv.stats();
        stats.lines().forEach(System.out::println);
        assertTrue(stats.evictions() > 0);
        assertEquals(prompt.length + 2000, stats.nextPosition(), "positions keep their numbers");
        assertEquals(stats.nextPosition() - stats.evictedPositions(), stats.positionsHeld());
    }

    @Test
    void contextShiftKeepsGoingPastTheContext() {
        PagedKvCache kv = model.cache(256, KvSettings.defaults().withCap(0, KvOverflow.SHIFT).withKeep(8));
        model.greedy(kv, prompt, 600, null);
        KvStats stats = kv.stats();
        assertTrue(stats.shifts() >= 2, "shifts " + stats.shifts());
        assertTrue(stats.nextPosition() <= 256);
        assertEquals(prompt.length + 600 - stats.discardedPositions(), stats.nextPosition());
    }

    @Test
    void impossibleCapFailsBeforeStoringAnything() {
        PagedKvCache kv = model.cache(2048, capped(64 * 1024, KvOverflow.ERROR));
        int[] longPrompt = new int[400];
        java.util.Arrays.fill(longPrompt, 400);
        longPrompt[0] = 1;
        assertTrue(kv.minimumBytes(longPrompt.length) > 64 * 1024, "the cap check a caller makes up front");
        long fixed = kv.bytes(); // smoothing exponents, held from the start
        Session session = new Session(model.transformer, kv, model.pool, 512);
        KvCapacityException e = assertThrows(KvCapacityException.class, () -> session.feed(longPrompt, 0, longPrompt.length));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
        assertEquals(0, kv.nextPosition());
        assertEquals(fixed, kv.bytes(), "no page was allocated");
    }
}
