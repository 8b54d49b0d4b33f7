package llm4j.model.tokenizer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE over one word: start from the word's characters (one per byte) and repeatedly merge the adjacent
 * pair with the lowest merge rank (ties: leftmost) until no listed merge applies, as llama.cpp does. Words repeat a
 * lot in real text, so results are cached.
 */
final class BpeMerger {

    /** Enough for the distinct words of a long document; beyond it the cache starts afresh. */
    private static final int CACHE_LIMIT = 1 << 16;

    private final Vocabulary vocabulary;
    /** Rank of each merge, looked up by the pair's two ranges of the word. */
    private final PairRanks ranks;
    private final boolean keepsWholeTokenWords;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final GreedyPairMerge.PairRule lowestRankFirst = this::rankOf;
    private final SymbolFallback fallback;

    /** What to emit for a symbol the vocabulary lacks (only ever a single character: merge results are tokens). */
    @FunctionalInterface
    interface SymbolFallback {
        /** Appends the tokens for {@code symbol} to {@code word}, which holds the word's tokens so far. */
        void emit(String symbol, TokenIds word);
    }

    /**
     * @param merges               GGUF merge lines, "left right", best first
     * @param keepsWholeTokenWords emit a word that is itself a token without merging (llama.cpp's ignore_merges)
     */
    BpeMerger(Vocabulary vocabulary, String[] merges, boolean keepsWholeTokenWords) {
        this(vocabulary, merges, keepsWholeTokenWords, null);
    }

    /** @param fallback what unknown symbols become; null for llama.cpp's rule (ASCII characters alone, else nothing) */
    BpeMerger(Vocabulary vocabulary, String[] merges, boolean keepsWholeTokenWords, SymbolFallback fallback) {
        this.fallback = fallback == null ? this::singleCharacters : fallback;
        this.vocabulary = vocabulary;
        this.keepsWholeTokenWords = keepsWholeTokenWords;
        this.ranks = new PairRanks(merges);
    }

    /** The tokens of one byte-level encoded word. */
    int[] tokenize(String word) {
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] ids = merge(word);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, ids);
        return ids;
    }

    private int[] merge(String word) {
        if (keepsWholeTokenWords) {
            int whole = vocabulary.idOf(word);
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        int[] starts = GreedyPairMerge.symbolStarts(word, lowestRankFirst);
        TokenIds ids = new TokenIds();
        for (int i = 0; i < starts.length; i++) {
            emit(word.substring(starts[i], i + 1 < starts.length ? starts[i + 1] : word.length()), ids);
        }
        return ids.toArray();
    }

    private long rankOf(String word, int start, int split, int end) {
        int rank = ranks.rank(word, start, split, end);
        return rank < 0 ? GreedyPairMerge.NO_MERGE : rank;
    }

    /**
     * Appends the symbol's token. A merge result missing from the vocabulary (a broken file) falls back, as in
     * llama.cpp, to single-character tokens for its ASCII characters; anything else is dropped. Other
     * tokenizers (Hugging Face's byte fallback and unknown token) bring their own {@link SymbolFallback}.
     */
    private void emit(String symbol, TokenIds out) {
        int id = vocabulary.idOf(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        fallback.emit(symbol, out);
    }

    private void singleCharacters(String symbol, TokenIds out) {
        for (int i = 0; i < symbol.length(); i++) {
            char c = symbol.charAt(i);
            int single = c < 0x80 ? vocabulary.idOf(String.valueOf(c)) : -1;
            if (single >= 0) {
                out.add(single);
            }
        }
    }
}
