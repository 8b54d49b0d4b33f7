package llm4j.model.generate;

import java.util.function.IntPredicate;

import llm4j.model.sample.Sampler;

/** The prompt-then-sample loop shared by {@code run}, {@code chat} and the server. */
public final class Generator {

    /** Receives each generated token; returning false stops generation. */
    @FunctionalInterface
    public interface TokenSink {
        boolean accept(int token);
    }

    private Generator() {
    }

    /**
     * Feeds {@code prompt} (the session may already hold earlier tokens) and samples up to
     * {@code maxTokens} tokens ({@code < 0}: until the end token or a full context). The end token
     * itself is not passed to the sink.
     */
    public static GenerationStats generate(Session session, int[] prompt, int maxTokens, Sampler sampler,
                                           IntPredicate isEnd, TokenSink sink) {
        long t0 = System.nanoTime();
        for (int token : prompt) {
            sampler.accept(token);
        }
        session.feed(prompt, 0, prompt.length);
        long t1 = System.nanoTime();
        int generated = 0;
        StopReason stop = StopReason.LIMIT;
        while (maxTokens < 0 || generated < maxTokens) {
            int next = sampler.sample(session.logits(), 0, session.vocabSize());
            sampler.accept(next);
            if (isEnd.test(next)) {
                stop = StopReason.END_OF_TEXT;
                break;
            }
            generated++;
            if (!sink.accept(next)) {
                stop = StopReason.CANCELLED;
                break;
            }
            if (maxTokens >= 0 && generated >= maxTokens) {
                break;
            }
            if (session.position() >= session.capacity()) {
                stop = StopReason.CONTEXT_FULL;
                break;
            }
            session.feed(next);
        }
        long t2 = System.nanoTime();
        return new GenerationStats(prompt.length, t1 - t0, generated, t2 - t1, stop);
    }
}
