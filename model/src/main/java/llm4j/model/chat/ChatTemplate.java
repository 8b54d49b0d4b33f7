package llm4j.model.chat;

import java.util.List;

/**
 * A Jinja chat template (Hugging Face's {@code chat_template}, GGUF's {@code tokenizer.chat_template}) and
 * the name it is known by: a built-in name, a file name, or "model" for the one a model file carries.
 */
public record ChatTemplate(String name, String source) {

    /**
     * Renders {@code messages} in the sandbox, as transformers' {@code apply_chat_template} does (trim_blocks and
     * lstrip_blocks on).
     *
     * @param addGenerationPrompt end with the header that opens the assistant's reply
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bosToken, String eosToken)
            throws ChatTemplateException {
        return JinjaSandbox.render(source, messages, addGenerationPrompt, bosToken, eosToken);
    }
}
