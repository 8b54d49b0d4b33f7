package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;

import llm4j.model.Model;
import llm4j.model.chat.ChatSession;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.chat.ChatTemplates;
import llm4j.model.generate.Session;
import llm4j.model.sample.SamplerSettings;
import llm4j.model.tokenizer.Tokenizer;

/** The chat template for a model ({@code --chat-template}, else the model's own), shared by chat and run --chat. */
final class ChatSetup {

    private ChatSetup() {
    }

    /** The template to use, or null for plain continuation (the model has none and none was given). */
    static ChatTemplate template(Model model, String override, PrintWriter err) {
        Tokenizer t = model.tokenizer();
        String bos = t.bos() >= 0 ? t.piece(t.bos()) : "";
        String eos = t.eos() >= 0 ? t.piece(t.eos()) : "";
        ChatTemplate template;
        if (override != null) {
            try {
                template = ChatTemplates.fromOption(override);
            } catch (IOException e) {
                throw CliException.usage(e.getMessage());
            }
        } else {
            // GGUF/SMQ tokenizer.chat_template, or a Hugging Face folder's tokenizer_config.json
            template = model.chatTemplate().filter(s -> !s.isBlank()).map(s -> new ChatTemplate("model", s)).orElse(null);
            if (template == null) {
                return null;
            }
        }
        return ChatTemplates.usable(template, bos, eos, w -> warn(err, w));
    }

    static ChatSession session(Model model, Session session, ChatTemplate template, SamplerSettings settings, PrintWriter err) {
        return template == null
                ? ChatSession.plain(model.tokenizer(), session, settings)
                : ChatSession.templated(model.tokenizer(), session, template, settings, w -> warn(err, w));
    }

    private static void warn(PrintWriter err, String warning) {
        err.println("llm4j: warning: " + warning);
        err.flush();
    }
}
