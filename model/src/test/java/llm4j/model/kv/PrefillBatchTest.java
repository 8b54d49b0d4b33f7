package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import llm4j.model.generate.Session;
import llm4j.quant.kv.KvCodecs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A prompt prefilled in batches (GEMM products, a batch's tokens stored before they attend, each to its own
 * causal end) and the same prompt fed one token at a time give the same logits within rounding; a token that
 * saw a later position of its batch would miss by whole units.
 */
class PrefillBatchTest {

    @ParameterizedTest
    @CsvSource({"f32, 1e-3", "f16, 5e-3", "q4_0, 5e-3"})
    void blockedPrefillEqualsTokenByToken(String type, float tolerance) throws Exception {
        try (Stories m = Stories.load()) {
            int[] prompt = new int[71]; // blocks of 4 and a partial one, over batches of 32
            SplittableRandom r = new SplittableRandom(11);
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 1 + r.nextInt(m.config.vocabSize() - 1);
            }
            KvSettings settings = KvSettings.of(KvCodecs.byName(type), KvCodecs.byName(type));
            Session blocked = new Session(m.transformer, m.cache(256, settings), m.pool, 32);
            Session single = new Session(m.transformer, m.cache(256, settings), m.pool, 1);
            blocked.feed(prompt, 0, prompt.length);
            for (int token : prompt) {
                single.feed(token);
            }
            float[] a = blocked.logits();
            float[] b = single.logits();
            float worst = 0;
            for (int i = 0; i < blocked.vocabSize(); i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            System.out.printf("%s cache: batched prefill vs token by token, largest logit difference %.2e%n", type, worst);
            assertEquals(0f, worst, tolerance, type);
        }
    }
}
