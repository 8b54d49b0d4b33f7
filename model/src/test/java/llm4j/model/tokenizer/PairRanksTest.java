package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link PairRanks} against the obvious oracle it replaced: a map from the merge line to its first rank, looked up
 * with {@code left + ' ' + right}. Merge lines and words come from a tiny alphabet with spaces, so lines with several
 * spaces, repeated lines and lines that never apply all occur.
 */
class PairRanksTest {

    @Property(tries = 200, seed = "20261204")
    void sameRankAsTheConcatenatedKeyLookup(@ForAll long seed) {
        Random random = new Random(seed);
        String[] merges = new String[random.nextInt(60)];
        for (int i = 0; i < merges.length; i++) {
            merges[i] = text(random, 1 + random.nextInt(6), "ab c");
        }
        Map<String, Integer> oracle = new HashMap<>();
        for (int rank = 0; rank < merges.length; rank++) {
            if (merges[rank].indexOf(' ', 1) > 0) {
                oracle.putIfAbsent(merges[rank], rank);
            }
        }
        PairRanks ranks = new PairRanks(merges);
        for (int q = 0; q < 200; q++) {
            String word = text(random, 2 + random.nextInt(8), "ab c");
            int start = random.nextInt(word.length() - 1);
            int split = start + 1 + random.nextInt(word.length() - start - 1);
            int end = split + 1 + random.nextInt(word.length() - split);
            Integer expected = oracle.get(word.substring(start, split) + ' ' + word.substring(split, end));
            assertEquals(expected == null ? -1 : expected, ranks.rank(word, start, split, end),
                    () -> word + " [" + start + "," + split + "," + end + ")");
        }
    }

    private static String text(Random random, int length, String alphabet) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
