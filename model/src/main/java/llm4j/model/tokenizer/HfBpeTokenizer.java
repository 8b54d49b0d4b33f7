package llm4j.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * A SentencePiece-style BPE from a tokenizer.json (Llama-2 / Mistral / TinyStories conversions): the text is
 * normalized ({@code ▁} prepended, spaces replaced) or Metaspace-split, then merged by rank, either over the whole
 * segment (no pre-tokenizer) or per word. A character with no token becomes its {@code <0xXX>} byte tokens when
 * byte_fallback is set and the vocabulary has them, else {@code <unk>} (consecutive ones fused with fuse_unk).
 */
final class HfBpeTokenizer extends VocabularyTokenizer {

    private final HfNormalizer normalizer;
    private final HfPreTokenizer preTokenizer;
    private final BpeMerger merger;
    private final boolean[] prefixAfter;

    /**
     * @param prefixAfter per token id: whether the text after that added token is normalized on its own (and so
     *                    gets the Prepend text again); null when only the input's start does
     */
    HfBpeTokenizer(Vocabulary vocabulary, SpecialTokens special, String[] merges, HfNormalizer normalizer,
                   HfPreTokenizer preTokenizer, HfDecoder decoder, boolean ignoreMerges, boolean byteFallback,
                   boolean fuseUnknown, boolean[] prefixAfter) {
        super(vocabulary, special, decoder.outputBytes(vocabulary),
                decoder.stripsFirstSpace() ? FirstSpace.FIRST_BYTE : FirstSpace.KEEP, false);
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.prefixAfter = prefixAfter;
        this.merger = new BpeMerger(vocabulary, merges, ignoreMerges,
                new UnknownCharacters(vocabulary, special.unknown(), byteFallback, fuseUnknown));
    }

    @Override
    boolean startsSegmentAfter(int id) {
        return prefixAfter != null && prefixAfter[id];
    }

    @Override
    void encodeText(String text, boolean startsSegment, TokenIds out) {
        String normalized = normalizer.apply(text, startsSegment);
        if (preTokenizer.isEmpty()) {
            out.addAll(merger.tokenize(normalized));
            return;
        }
        for (String word : preTokenizer.split(normalized, startsSegment)) {
            out.addAll(merger.tokenize(word));
        }
    }

    /** Hugging Face BPE's handling of a character the vocabulary lacks. */
    private static final class UnknownCharacters implements BpeMerger.SymbolFallback {
        private final int unknown;
        private final boolean fuse;
        private final int[] byteTokens;

        UnknownCharacters(Vocabulary vocabulary, int unknown, boolean byteFallback, boolean fuse) {
            this.unknown = unknown;
            this.fuse = fuse;
            this.byteTokens = byteFallback ? byteTokens(vocabulary) : null;
        }

        /** The {@code <0xXX>} token of every byte value, or null unless the vocabulary has all 256. */
        private static int[] byteTokens(Vocabulary vocabulary) {
            int[] ids = new int[256];
            for (int b = 0; b < 256; b++) {
                ids[b] = vocabulary.idOf(SentencePieceTokenizer.byteTokenText(b));
            }
            return ids;
        }

        @Override
        public void emit(String symbol, TokenIds word) {
            byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
            if (byteTokens != null && allPresent(bytes)) {
                for (byte b : bytes) {
                    word.add(byteTokens[b & 0xFF]);
                }
                return;
            }
            if (unknown < 0 || (fuse && word.last() == unknown)) {
                return;
            }
            word.add(unknown);
        }

        private boolean allPresent(byte[] bytes) {
            for (byte b : bytes) {
                if (byteTokens[b & 0xFF] < 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
