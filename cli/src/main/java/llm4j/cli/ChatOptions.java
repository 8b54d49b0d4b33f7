package llm4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import llm4j.model.Model;
import llm4j.model.chat.ChatMessage;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.chat.ChatTemplateException;
import picocli.CommandLine.Option;

/** {@code run}'s chat flags: send the prompt as one user turn through the chat template. */
public final class ChatOptions {

    @Option(names = "--chat", description = "Format the prompt as one user turn with the model's chat template (or --chat-template).")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message before the prompt (implies --chat).")
    String system;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE",
            description = "Template for --chat: chatml, llama2, llama3, mistral, zephyr, gemma, or a Jinja file (implies --chat).")
    String chatTemplate;

    boolean enabled() {
        return chat || system != null || chatTemplate != null;
    }

    /** The text to tokenize: the rendered turn, or without a template the system and prompt texts joined. */
    String prompt(Model model, String userText, PrintWriter err) {
        ChatTemplate template = ChatSetup.template(model, chatTemplate, err);
        if (template == null) {
            err.println("llm4j: " + model.file().path().getFileName() + " has no chat template: the prompt is used as it is");
            err.flush();
            return system == null ? userText : system + "\n\n" + userText;
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatMessage.system(system));
        }
        messages.add(ChatMessage.user(userText));
        try {
            return template.prompt(messages, model.tokenizer());
        } catch (ChatTemplateException e) {
            throw CliException.failure(e.getMessage());
        }
    }
}
