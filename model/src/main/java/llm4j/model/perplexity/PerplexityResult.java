package llm4j.model.perplexity;

/**
 * The outcome of a perplexity run.
 *
 * @param runningPpl perplexity after each chunk, as llama-perplexity prints it
 */
public record PerplexityResult(double ppl, double pplError, int chunks, int context, long scoredTokens, double[] runningPpl) {
}
