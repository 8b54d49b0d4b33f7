package llm4j.model.chat;

import java.util.List;

import llm4j.model.tokenizer.Tokenizer;

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

    /**
     * The prompt that asks for the next assistant turn: rendered with the tokenizer's BOS and EOS texts, minus
     * a leading BOS text when encoding adds BOS anyway (llama.cpp strips it the same way), ready for
     * {@code tokenizer.encode(prompt, true, true)}.
     */
    public String prompt(List<ChatMessage> messages, Tokenizer tokenizer) throws ChatTemplateException {
        String bos = tokenizer.bos() >= 0 ? tokenizer.piece(tokenizer.bos()) : "";
        String eos = tokenizer.eos() >= 0 ? tokenizer.piece(tokenizer.eos()) : "";
        String text = render(messages, true, bos, eos);
        int[] empty = tokenizer.encode("", true, false);
        boolean addsBos = empty.length == 1 && empty[0] == tokenizer.bos();
        return addsBos && !bos.isEmpty() && text.startsWith(bos) ? text.substring(bos.length()) : text;
    }
}
