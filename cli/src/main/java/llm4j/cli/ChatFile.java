package llm4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
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
import llm4j.model.chat.ChatSession;

/**
 * {@code /save} and {@code /load}: a chat is a prompt-cache file ({@link llm4j.model.kv.PromptCacheFile}) holding
 * the quantized KV state, whose payload is this JSON:
 * <pre>{"format": "llm4j-chat", "version": 2, "model": "stories260K.gguf", "template": "chatml",
 *  "messages": [{"role": "user", "content": "Hi"}, ...], "held": [1, 403, ...], "held_text": "..."}</pre>
 * {@code held} are the conversation's token ids (the cache holds a prefix of them) and {@code held_text}
 * the text they render, so the next turn after a load prefills only its new tokens. When the KV state
 * cannot be saved (positions were evicted or shifted) the file is the JSON alone, as version 1 files were;
 * such a conversation is prefilled again on its next turn.
 */
final class ChatFile {

    static final String FORMAT = "llm4j-chat";
    static final int VERSION = 2;
    static final long MAX_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ChatFile() {
    }

    /** The JSON of a chat's state. */
    static byte[] json(String model, String template, ChatSession.State state) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        root.put("template", template);
        List<Map<String, String>> list = new ArrayList<>();
        for (ChatMessage m : state.messages()) {
            list.add(Map.of("role", m.role(), "content", m.content()));
        }
        root.put("messages", list);
        root.put("held", state.held());
        root.put("held_text", state.heldText());
        return JSON.writeValueAsBytes(root);
    }

    /** Writes the JSON alone, atomically (no KV state). */
    static void saveJson(Path file, byte[] json) throws IOException {
        AtomicFile.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(json);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /** Whether {@code file} starts like JSON (a chat saved without KV state) rather than a prompt cache. */
    static boolean isJson(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
            return c == '{';
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
    }

    /** Reads a JSON-only chat file. */
    static ChatSession.State load(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException(file + " is larger than " + (MAX_BYTES >> 20) + " MiB");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** The state a JSON payload describes; {@code source} names it in messages. */
    static ChatSession.State parse(byte[] json, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(source + " is not a saved chat (invalid JSON)");
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()) || !root.path("messages").isArray()) {
            throw new IOException(source + " is not a saved chat (no \"format\": \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt() > VERSION) {
            throw new IOException(source + " was saved by a newer llm4j (version " + root.path("version").asInt() + ")");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : root.get("messages")) {
            String role = m.path("role").asText("");
            if (!List.of("system", "user", "assistant").contains(role) || !m.path("content").isTextual()) {
                throw new IOException(source + ": message " + (messages.size() + 1) + " has no valid role and content");
            }
            messages.add(new ChatMessage(role, m.get("content").asText()));
        }
        JsonNode held = root.path("held");
        int[] tokens = new int[held.isArray() ? held.size() : 0];
        for (int i = 0; i < tokens.length; i++) {
            if (!held.get(i).canConvertToInt()) {
                throw new IOException(source + ": token " + i + " of \"held\" is not a token id");
            }
            tokens[i] = held.get(i).asInt();
        }
        String heldText = root.path("held_text").asText("");
        if (tokens.length == 0) {
            heldText = ""; // version 1: messages only, rendered afresh on the next turn
        }
        return new ChatSession.State(messages, tokens, heldText);
    }
}
