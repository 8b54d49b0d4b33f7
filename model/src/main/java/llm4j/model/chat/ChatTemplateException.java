package llm4j.model.chat;

/** A chat template that cannot be parsed or rendered; the message is one line for the user. */
public final class ChatTemplateException extends Exception {

    public ChatTemplateException(String message) {
        super(message);
    }
}
