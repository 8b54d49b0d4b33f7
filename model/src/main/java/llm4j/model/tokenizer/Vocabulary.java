package llm4j.model.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Token texts, scores and types as a model file stores them, with the reverse text-to-id lookup every
 * tokenizer needs. Scores matter only to SentencePiece; a vocabulary without them has all-zero scores.
 */
public final class Vocabulary {

    private final String[] texts;
    private final float[] scores;
    private final TokenType[] types;
    private final Map<String, Integer> idsByText;

    /**
     * @param scores per-token scores, or null for none
     * @param types  per-token types, or null when every token is NORMAL (llama.cpp's rule without the key)
     */
    public Vocabulary(String[] texts, float[] scores, TokenType[] types) {
        this.texts = texts.clone();
        this.scores = scores == null ? new float[texts.length] : scores.clone();
        this.types = types == null ? filled(texts.length) : types.clone();
        if (this.scores.length != texts.length || this.types.length != texts.length) {
            throw new IllegalArgumentException("vocabulary of " + texts.length + " tokens has "
                    + this.scores.length + " scores and " + this.types.length + " types");
        }
        idsByText = HashMap.newHashMap(texts.length);
        for (int id = 0; id < texts.length; id++) {
            // a text stored twice resolves to the later id, as llama.cpp's map assignment does
            idsByText.put(Objects.requireNonNull(texts[id], "token text"), id);
        }
    }

    private static TokenType[] filled(int n) {
        TokenType[] all = new TokenType[n];
        Arrays.fill(all, TokenType.NORMAL);
        return all;
    }

    public int size() {
        return texts.length;
    }

    public String text(int id) {
        return texts[checked(id)];
    }

    public float score(int id) {
        return scores[checked(id)];
    }

    public TokenType type(int id) {
        return types[checked(id)];
    }

    /** The id whose text is exactly {@code text}, or -1. */
    public int idOf(String text) {
        Integer id = idsByText.get(text);
        return id == null ? -1 : id;
    }

    public boolean contains(int id) {
        return id >= 0 && id < texts.length;
    }

    private int checked(int id) {
        if (!contains(id)) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + texts.length);
        }
        return id;
    }
}
