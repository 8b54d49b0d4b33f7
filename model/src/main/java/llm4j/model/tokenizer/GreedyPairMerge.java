package llm4j.model.tokenizer;

import java.util.Arrays;

/**
 * The merge loop SentencePiece and BPE share: start from single characters and keep merging the adjacent pair with
 * the smallest priority (ties: leftmost) until no pair may merge.
 *
 * <p>The symbols form a linked list over the text and candidate pairs wait in a {@link MergeQueue} keyed by their
 * left symbol. A merge only changes the pairs on either side of it, so only those two are re-examined; a queued pair
 * whose symbols changed meanwhile is recognised by its length (symbols only grow) and skipped. That keeps long texts
 * at O(n log n) instead of rescanning every pair after each merge.
 */
final class GreedyPairMerge {

    /** Whether and how urgently two adjacent symbols merge. */
    @FunctionalInterface
    interface PairRule {
        /**
         * The priority (smaller merges first) of merging {@code text[start, split)} with {@code text[split, end)},
         * or {@link #NO_MERGE}.
         */
        long priority(String text, int start, int split, int end);
    }

    static final long NO_MERGE = Long.MAX_VALUE;

    private GreedyPairMerge() {
    }

    /** The start offsets of the final symbols of {@code text}, in order; each ends where the next begins. */
    static int[] symbolStarts(String text, PairRule rule) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            int chars = Character.charCount(text.codePointAt(offset));
            start[i] = offset;
            length[i] = chars;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            offset += chars;
        }
        MergeQueue queue = new MergeQueue();
        for (int i = 1; i < n; i++) {
            offer(queue, rule, text, start, length, i - 1, i);
        }
        while (!queue.isEmpty()) {
            int left = MergeQueue.leftOf(queue.firstKey());
            int queuedLength = queue.lengthOfFirst();
            queue.removeFirst();
            int right = next[left];
            if (length[left] == 0 || right < 0 || length[left] + length[right] != queuedLength) {
                continue; // stale: one side was merged into something else meanwhile
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offer(queue, rule, text, start, length, prev[left], left);
            offer(queue, rule, text, start, length, left, next[left]);
        }
        int count = 0;
        for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) {
            start[count++] = start[i]; // compacting in place is safe: count never passes i
        }
        return Arrays.copyOf(start, count);
    }

    private static void offer(MergeQueue queue, PairRule rule, String text, int[] start, int[] length,
                              int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int from = start[left];
        long priority = rule.priority(text, from, from + length[left], from + length[left] + length[right]);
        if (priority != NO_MERGE) {
            queue.add(MergeQueue.key((int) priority, left), length[left] + length[right]);
        }
    }
}
