package llm4j.model.tokenizer;

import java.util.Arrays;

/**
 * The candidate merges of one {@link GreedyPairMerge} run, smallest key first. Merge loops over long texts queue millions of
 * candidates; keeping keys in one primitive array (instead of a heap of objects) keeps comparisons in cache.
 *
 * <p>A key packs the merge priority into its high 32 bits and the left symbol's index into the low 32 bits, so
 * equal priorities go leftmost first. Each key carries the combined length of the pair when it was queued, which
 * tells the merge loop whether the pair is still current. The heap is 4-ary: half the depth of a binary heap, and
 * the four children share a cache line.
 */
final class MergeQueue {

    private long[] keys = new long[64];
    private int[] lengths = new int[64];
    private int size;

    /** A key for priority {@code priority} (smaller first) and left symbol {@code left}. */
    static long key(int priority, int left) {
        return ((long) priority << 32) | left;
    }

    /** A priority under which higher scores come first (-0 and +0 count as equal, as in float comparison). */
    static int higherScoreFirst(float score) {
        int bits = Float.floatToIntBits(score == 0 ? 0f : -score);
        // flip the magnitude bits of negatives so that signed int order equals float order
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    static int leftOf(long key) {
        return (int) key;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long key, int length) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            lengths = Arrays.copyOf(lengths, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 2;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            lengths[i] = lengths[parent];
            i = parent;
        }
        keys[i] = key;
        lengths[i] = length;
    }

    /** The smallest key; {@link #lengthOfFirst()} gives its length. */
    long firstKey() {
        return keys[0];
    }

    int lengthOfFirst() {
        return lengths[0];
    }

    void removeFirst() {
        size--;
        long key = keys[size];
        int length = lengths[size];
        int i = 0;
        while (true) {
            int first = 4 * i + 1;
            if (first >= size) {
                break;
            }
            int child = first;
            for (int c = first + 1, end = Math.min(first + 4, size); c < end; c++) {
                if (keys[c] < keys[child]) {
                    child = c;
                }
            }
            if (key <= keys[child]) {
                break;
            }
            keys[i] = keys[child];
            lengths[i] = lengths[child];
            i = child;
        }
        if (size > 0) {
            keys[i] = key;
            lengths[i] = length;
        }
    }
}
