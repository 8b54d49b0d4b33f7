package llm4j.model.tokenizer;

/**
 * BPE merge ranks looked up by two adjacent ranges of a word, without building the {@code "left right"} key string:
 * the merge loop asks for one rank per candidate pair, and over a long word (1 MiB of one letter is one word to
 * byte-level BPE) those key strings were most of its time. An open-addressing table of the merges' two halves,
 * compared in place with {@link String#regionMatches}.
 */
final class PairRanks {

    /** The merge line of each slot (null: empty); its left half ends at {@code splits[i]}, its right half follows the space. */
    private final String[] lines;
    private final int[] splits;
    private final int[] ranks;
    private final int mask;

    /**
     * @param merges merge lines, best first. A line stands for every way of reading it as {@code left + ' ' + right}
     *               with both halves non-empty, exactly as a lookup of the concatenated key would match it; a
     *               repeated line keeps its first (best) rank
     */
    PairRanks(String[] merges) {
        int entries = 0;
        for (String m : merges) {
            for (int p = m.indexOf(' ', 1); p > 0 && p < m.length() - 1; p = m.indexOf(' ', p + 1)) {
                entries++;
            }
        }
        int capacity = Integer.highestOneBit(Math.max(4, entries * 2 + 1) - 1) << 1;
        lines = new String[capacity];
        splits = new int[capacity];
        ranks = new int[capacity];
        mask = capacity - 1;
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            for (int p = m.indexOf(' ', 1); p > 0 && p < m.length() - 1; p = m.indexOf(' ', p + 1)) {
                put(m, p, rank);
            }
        }
    }

    /** Files the pair (line[0, split), line[split + 1, end)); the halves stay inside the line (no substrings). */
    private void put(String line, int split, int rank) {
        int i = slot(hash(line, 0, split), hash(line, split + 1, line.length()));
        while (lines[i] != null) {
            if (holds(i, line, 0, split, split + 1, line.length())) {
                return; // an earlier line already gave this pair its rank
            }
            i = (i + 1) & mask;
        }
        lines[i] = line;
        splits[i] = split;
        ranks[i] = rank;
    }

    /** Whether slot i's pair is (s[leftFrom, leftTo), s[rightFrom, rightTo)). */
    private boolean holds(int i, String s, int leftFrom, int leftTo, int rightFrom, int rightTo) {
        String line = lines[i];
        int split = splits[i];
        int leftLength = leftTo - leftFrom;
        int rightLength = rightTo - rightFrom;
        return split == leftLength && line.length() - split - 1 == rightLength
                && s.regionMatches(leftFrom, line, 0, leftLength) && s.regionMatches(rightFrom, line, split + 1, rightLength);
    }

    /** The rank of merging {@code word[start, split)} with {@code word[split, end)}, or -1 when no merge lists it. */
    int rank(String word, int start, int split, int end) {
        int i = slot(hash(word, start, split), hash(word, split, end));
        while (lines[i] != null) {
            if (holds(i, word, start, split, split, end)) {
                return ranks[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    private int slot(int leftHash, int rightHash) {
        int h = leftHash * 0x9E3779B9 + rightHash;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h & mask;
    }
}
