package llm4j.model.tokenizer;

/** A piece of the input after special tokens were cut out: plain text still to tokenize, or a finished token. */
sealed interface Fragment {

    record Text(String text) implements Fragment {
    }

    record Token(int id) implements Fragment {
    }
}
