package llm4j.model.chat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ValueType;

/** Where a chat's template comes from: an override (built-in name or Jinja file) or the model's metadata. */
public final class ChatTemplates {

    /** The GGUF key holding a model's Jinja chat template. */
    public static final String METADATA_KEY = "tokenizer.chat_template";

    /** Refuse template files beyond this size (real templates are a few KiB). */
    static final long MAX_FILE_BYTES = 1L << 20;

    private static final List<ChatMessage> PROBE = List.of(ChatMessage.system("s"), ChatMessage.user("u"),
            ChatMessage.assistant("a"), ChatMessage.user("u"));

    private ChatTemplates() {
    }

    /** The model's own template, or null when it has none. */
    public static ChatTemplate fromModel(Metadata metadata) {
        MetadataValue v = metadata.get(METADATA_KEY).orElse(null);
        if (v == null || v.type() != ValueType.STRING || ((String) v.value()).isBlank()) {
            return null;
        }
        return new ChatTemplate("model", (String) v.value());
    }

    /**
     * {@code --chat-template NAME|FILE}: a built-in name, else a Jinja file.
     *
     * @throws IOException when it names neither (the message says which built-ins exist)
     */
    public static ChatTemplate fromOption(String nameOrFile) throws IOException {
        ChatTemplate builtin = BuiltinTemplates.byName(nameOrFile);
        if (builtin != null) {
            return builtin;
        }
        Path file = Path.of(nameOrFile);
        if (!Files.isRegularFile(file)) {
            throw new IOException("chat template '" + nameOrFile + "' is neither a built-in ("
                    + String.join(", ", BuiltinTemplates.NAMES) + ") nor a file");
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("chat template " + file + " is larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
        }
        return new ChatTemplate(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * {@code template} if it renders a small conversation with a system message; else, with a warning, the
     * built-in closest to it (a template that rejects system messages is kept: the chat works until one is set).
     */
    public static ChatTemplate usable(ChatTemplate template, String bos, String eos, Consumer<String> warnings) {
        try {
            template.render(PROBE, true, bos, eos);
            return template;
        } catch (ChatTemplateException e) {
            try {
                template.render(PROBE.subList(1, PROBE.size()), true, bos, eos);
                return template;
            } catch (ChatTemplateException ignored) {
                // broken for plain conversations too: fall back
            }
            ChatTemplate fallback = BuiltinTemplates.closestTo(template.source());
            warnings.accept("chat template '" + template.name() + "': " + e.getMessage() + "; using the built-in '"
                    + fallback.name() + "' template instead");
            return fallback;
        }
    }
}
