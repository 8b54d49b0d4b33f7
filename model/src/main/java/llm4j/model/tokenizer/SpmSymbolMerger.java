package llm4j.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece's merge over one stretch of (whitespace-escaped) text, as llama.cpp runs it: adjacent symbols merge
 * when together they spell a vocabulary piece, best-scoring piece first, and characters that never became a piece are
 * spelt with {@code <0xXX>} byte tokens.
 */
final class SpmSymbolMerger {

    private final Vocabulary vocabulary;
    private final int[] byteTokens;
    private final GreedyPairMerge.PairRule bestScoreFirst;

    /** @param byteTokens the token to emit for each byte value of a character no piece covers (-1: drop it) */
    SpmSymbolMerger(Vocabulary vocabulary, int[] byteTokens) {
        this.vocabulary = vocabulary;
        this.byteTokens = byteTokens;
        this.bestScoreFirst = (text, start, split, end) -> {
            int id = vocabulary.idOf(text.substring(start, end));
            return id < 0 ? GreedyPairMerge.NO_MERGE : MergeQueue.higherScoreFirst(vocabulary.score(id));
        };
    }

    void tokenize(String text, TokenIds out) {
        int[] starts = GreedyPairMerge.symbolStarts(text, bestScoreFirst);
        for (int i = 0; i < starts.length; i++) {
            emit(text.substring(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length()), out);
        }
    }

    private void emit(String symbol, TokenIds out) {
        int id = vocabulary.idOf(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        // merged symbols are always pieces, so this is a single character missing from the vocabulary
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int byteToken = byteTokens[b & 0xFF];
            if (byteToken >= 0) {
                out.add(byteToken);
            }
        }
    }
}
