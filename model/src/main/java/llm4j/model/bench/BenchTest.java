package llm4j.model.bench;

/**
 * One llama-bench test: a prompt-processing run ({@code pp}: {@code tokens} random token ids in
 * batched forward calls) or a generation run ({@code tg}: {@code tokens} single-token forward calls),
 * each after {@code depth} positions of context were filled (untimed).
 */
public record BenchTest(Kind kind, int tokens, int depth) {

    public enum Kind {
        /** Prompt processing: the tokens go through the model in batches. */
        PP,
        /** Text generation: one token per forward call. */
        TG
    }

    public BenchTest {
        if (tokens < 1 || depth < 0) {
            throw new IllegalArgumentException("a test needs at least one token and a non-negative depth");
        }
    }

    public static BenchTest prompt(int tokens, int depth) {
        return new BenchTest(Kind.PP, tokens, depth);
    }

    public static BenchTest generation(int tokens, int depth) {
        return new BenchTest(Kind.TG, tokens, depth);
    }

    /** llama-bench's name: {@code pp512}, {@code tg128}, {@code tg128 @ d2048}. */
    public String name() {
        String base = (kind == Kind.PP ? "pp" : "tg") + tokens;
        return depth == 0 ? base : base + " @ d" + depth;
    }

    /** Cache positions the test needs: the depth plus its own tokens. */
    public int positions() {
        return depth + tokens;
    }

    public int promptTokens() {
        return kind == Kind.PP ? tokens : 0;
    }

    public int generatedTokens() {
        return kind == Kind.TG ? tokens : 0;
    }
}
