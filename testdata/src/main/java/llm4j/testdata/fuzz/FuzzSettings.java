package llm4j.testdata.fuzz;

/**
 * How much fuzzing a run does. The normal build runs scale 1 (a few thousand cases in well under a
 * minute); {@code mvn test -Pfuzz} sets {@code llm4j.fuzz.scale} higher and {@code llm4j.fuzz.seed}
 * picks another family of seeds. Every case derives its randomness from the base seed, so a
 * failure printed with its seed replays exactly.
 */
public final class FuzzSettings {

    private FuzzSettings() {
    }

    /** Multiplier for the number of random cases (at least 1). */
    public static int scale() {
        return Math.max(1, Integer.getInteger("llm4j.fuzz.scale", 1));
    }

    /** Base seed of all random cases. */
    public static long seed() {
        return Long.getLong("llm4j.fuzz.seed", 0x6c6c6d346aL);
    }

    /** {@code base} cases at scale 1, multiplied by the scale. */
    public static int cases(int base) {
        return Math.multiplyExact(base, scale());
    }
}
