package llm4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * GGUF tokenizer model {@code gpt2}: byte-level BPE as llama.cpp runs it. Text is split into words by the
 * vocabulary's pre-tokenizer, each word's UTF-8 bytes are spelt in GPT-2's byte alphabet, and merges apply by rank
 * within a word.
 */
public final class Gpt2BpeTokenizer extends VocabularyTokenizer {

    private final BpePreTokenizer preTokenizer;
    private final Function<String, List<String>> splitter;
    private final BpeMerger merger;

    /**
     * @param merges          GGUF {@code tokenizer.ggml.merges}: "left right", best first
     * @param dropsFirstSpace {@code tokenizer.ggml.add_space_prefix} (normally false for BPE): only the decoder uses it
     */
    public Gpt2BpeTokenizer(Vocabulary vocabulary, String[] merges, BpePreTokenizer preTokenizer,
                            SpecialTokens special, boolean dropsFirstSpace) {
        super(vocabulary, special, outputBytes(vocabulary), dropsFirstSpace, preTokenizer.cleansSpaces());
        this.preTokenizer = preTokenizer;
        this.splitter = preTokenizer::split;
        this.merger = new BpeMerger(vocabulary, merges, preTokenizer.keepsWholeTokenWords());
    }

    /**
     * A byte-level BPE whose words come from {@code splitter} (a Hugging Face pre-tokenizer), with the Hugging Face
     * decoder's behaviour: no space cleanup, nothing stripped.
     *
     * @param keepsWholeTokenWords Hugging Face's ignore_merges
     */
    Gpt2BpeTokenizer(Vocabulary vocabulary, String[] merges, Function<String, List<String>> splitter,
                     boolean keepsWholeTokenWords, SpecialTokens special) {
        super(vocabulary, special, outputBytes(vocabulary), false, false);
        this.preTokenizer = null;
        this.splitter = splitter;
        this.merger = new BpeMerger(vocabulary, merges, keepsWholeTokenWords);
    }

    /** The llama.cpp pre-tokenizer, or null for one described by a tokenizer.json. */
    public BpePreTokenizer preTokenizer() {
        return preTokenizer;
    }

    @Override
    void encodeText(String text, boolean startsSegment, TokenIds out) {
        for (String word : splitter.apply(text)) {
            out.addAll(merger.tokenize(ByteLevelAlphabet.encode(word)));
        }
    }

    private static IntFunction<byte[]> outputBytes(Vocabulary vocabulary) {
        return id -> {
            String text = vocabulary.text(id);
            return switch (vocabulary.type(id)) {
                case NORMAL -> ByteLevelAlphabet.decode(text);
                // added tokens are stored as plain text, not in the byte alphabet
                case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
                // control and unknown tokens are hidden; llama.cpp renders the other kinds as nothing too
                case CONTROL, UNKNOWN, UNUSED, UNDEFINED, BYTE -> new byte[0];
            };
        };
    }
}
