package llm4j.model.parallel;

/** Work over an index range {@code [from, to)}; {@code worker} (0 .. threads-1) indexes per-thread scratch. */
@FunctionalInterface
public interface RangeTask {
    void run(int from, int to, int worker);
}
