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
        return generate(session, prompt, 0, null, maxTokens, sampler, isEnd, sink);
    }

    /**
     * As above when the session already holds {@code prompt[0, fed)} (a restored prompt cache):
     * only the rest is evaluated, though the sampler still sees every prompt token.
     * {@code afterPrompt}, if not null, runs once the prompt is evaluated (to save a prompt cache).
     */
    public static GenerationStats generate(Session session, int[] prompt, int fed, Runnable afterPrompt, int maxTokens,
                                           Sampler sampler, IntPredicate isEnd, TokenSink sink) {
        long t0 = System.nanoTime();
        for (int token : prompt) {
            sampler.accept(token);
        }
        session.feed(prompt, fed, prompt.length - fed);
        long t1 = System.nanoTime();
        if (afterPrompt != null) {
            afterPrompt.run();
        }
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
            if (session.position() >= session.capacity() && !session.kv().shiftsContext()) {
                stop = StopReason.CONTEXT_FULL;
                break;
            }
            session.feed(next);
        }
        long t2 = System.nanoTime();
        return new GenerationStats(prompt.length - fed, t1 - t0, generated, t2 - t1, stop);
    }
}
