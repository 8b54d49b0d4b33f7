package llm4j.testdata.fuzz;

/** A damaged copy of a file and what was done to it (printed when the case fails). */
public record Mutation(String description, byte[] bytes) {
}
