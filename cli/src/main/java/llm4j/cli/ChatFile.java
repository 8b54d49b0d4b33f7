package llm4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import llm4j.loader.AtomicFile;
import llm4j.model.chat.ChatMessage;

/**
 * {@code /save} and {@code /load}: the conversation as JSON, written atomically. The KV cache is not saved
 * (yet): a loaded conversation is prefilled again on its next turn.
 * <pre>{"format": "llm4j-chat", "version": 1, "model": "stories260K.gguf", "template": "chatml",
 *  "messages": [{"role": "user", "content": "Hi"}, ...]}</pre>
 */
final class ChatFile {

    static final String FORMAT = "llm4j-chat";
    static final int VERSION = 1;
    static final long MAX_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ChatFile() {
    }

    static void save(Path file, String model, String template, List<ChatMessage> messages) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        root.put("template", template);
        List<Map<String, String>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            list.add(Map.of("role", m.role(), "content", m.content()));
        }
        root.put("messages", list);
        AtomicFile.write(file, JSON.writeValueAsBytes(root));
    }

    static List<ChatMessage> load(Path file) throws IOException {
        JsonNode root;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException(file + " is larger than " + (MAX_BYTES >> 20) + " MiB");
            }
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + " is not a saved chat (invalid JSON)");
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()) || !root.path("messages").isArray()) {
            throw new IOException(file + " is not a saved chat (no \"format\": \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt() > VERSION) {
            throw new IOException(file + " was saved by a newer llm4j (version " + root.path("version").asInt() + ")");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : root.get("messages")) {
            String role = m.path("role").asText("");
            if (!List.of("system", "user", "assistant").contains(role) || !m.path("content").isTextual()) {
                throw new IOException(file + ": message " + (messages.size() + 1) + " has no valid role and content");
            }
            messages.add(new ChatMessage(role, m.get("content").asText()));
        }
        return messages;
    }
}
