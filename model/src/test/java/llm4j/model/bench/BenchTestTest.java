package llm4j.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BenchTestTest {

    @Test
    void llamaBenchNames() {
        assertEquals("pp512", BenchTest.prompt(512, 0).name());
        assertEquals("tg128", BenchTest.generation(128, 0).name());
        assertEquals("tg128 @ d2048", BenchTest.generation(128, 2048).name());
        assertEquals("pp64 @ d16", BenchTest.prompt(64, 16).name());
    }

    @Test
    void positionsAndTokenCounts() {
        BenchTest tg = BenchTest.generation(128, 2048);
        assertEquals(2176, tg.positions());
        assertEquals(0, tg.promptTokens());
        assertEquals(128, tg.generatedTokens());
        assertEquals(512, BenchTest.prompt(512, 0).promptTokens());
    }

    @Test
    void emptyOrNegativeTestsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchTest.prompt(0, 0));
        assertThrows(IllegalArgumentException.class, () -> BenchTest.generation(4, -1));
    }
}
