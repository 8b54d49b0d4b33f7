package llm4j.model.tokenizer;

/**
 * BPE merge ranks looked up by two adjacent ranges of a word, without building the {@code "left right"} key string:
 * the merge loop asks for one rank per candidate pair, and over a long word (1 MiB of one letter is one word to
 * byte-level BPE) those key strings were most of its time. An open-addressing table of the merges' two halves,
 * compared in place with {@link String#regionMatches}.
 */
final class PairRanks {

    private final String[] lefts;
    private final String[] rights;
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
        lefts = new String[capacity];
        rights = new String[capacity];
        ranks = new int[capacity];
        mask = capacity - 1;
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            for (int p = m.indexOf(' ', 1); p > 0 && p < m.length() - 1; p = m.indexOf(' ', p + 1)) {
                put(m.substring(0, p), m.substring(p + 1), rank);
            }
        }
    }

    private void put(String left, String right, int rank) {
        int i = slot(hash(left, 0, left.length()), hash(right, 0, right.length()));
        while (lefts[i] != null) {
            if (lefts[i].equals(left) && rights[i].equals(right)) {
                return; // an earlier line already gave this pair its rank
            }
            i = (i + 1) & mask;
        }
        lefts[i] = left;
        rights[i] = right;
        ranks[i] = rank;
    }

    /** The rank of merging {@code word[start, split)} with {@code word[split, end)}, or -1 when no merge lists it. */
    int rank(String word, int start, int split, int end) {
        int leftLength = split - start;
        int rightLength = end - split;
        int i = slot(hash(word, start, split), hash(word, split, end));
        for (String left = lefts[i]; left != null; left = lefts[i]) {
            String right = rights[i];
            if (left.length() == leftLength && right.length() == rightLength
                    && word.regionMatches(start, left, 0, leftLength) && word.regionMatches(split, right, 0, rightLength)) {
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
