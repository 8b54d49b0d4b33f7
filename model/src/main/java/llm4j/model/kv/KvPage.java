package llm4j.model.kv;

/**
 * A run of consecutive positions stored together, with its own precision per layer. Pages are the
 * unit the cap works on: a (page, layer) pair is requantized one rung down as a whole, a page is
 * evicted as a whole, and a context shift renumbers whole pages.
 */
final class KvPage {

    /** Position of slot 0. */
    int start;
    final int capacity;
    /** Slots in use, from slot 0. */
    int count;
    /** Whether the page holds the attention sinks (never requantized or evicted). */
    final boolean sink;
    /** How far context shifts have moved this page's positions down; queries are rotated forward by it. */
    int ropeDelta;
    /** Ladder rung per layer (0 = the configured types). */
    final byte[] level;
    /** Per layer one array: {@code capacity} key rows, then {@code capacity} value rows. */
    final byte[][] data;
    /**
     * Per layer the power-of-two exponent of each key channel's smoothing scale (keys are stored
     * times 2^e, queries multiplied by 2^-e), or null where the page's keys are not smoothed.
     */
    final byte[][] keyExponents;

    KvPage(int start, int capacity, boolean sink, int layers) {
        this.start = start;
        this.capacity = capacity;
        this.sink = sink;
        this.level = new byte[layers];
        this.data = new byte[layers][];
        this.keyExponents = new byte[layers][];
    }

    int end() {
        return start + count;
    }
}
