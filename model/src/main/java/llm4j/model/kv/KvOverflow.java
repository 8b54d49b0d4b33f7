package llm4j.model.kv;

import java.util.Locale;

/** What the cache does when even the lowest rung of the precision ladder cannot make room. */
public enum KvOverflow {
    /** Refuse with the bytes needed and the cap. */
    ERROR,
    /** StreamingLLM: drop the oldest positions between the attention sinks and the recent window; positions keep their numbers. */
    EVICT,
    /** llama.cpp's context shift: keep the first {@code --keep} tokens, drop half of the rest, renumber the remainder. */
    SHIFT;

    /** Parses {@code error|evict|shift}; null when unknown. */
    public static KvOverflow parse(String s) {
        for (KvOverflow o : values()) {
            if (o.name().equalsIgnoreCase(s.trim())) {
                return o;
            }
        }
        return null;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
