package llm4j.server;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.chat.ChatMessage;
import llm4j.model.sample.SamplerSettings;

/** Turns a request body into a {@link CompletionRequest}, or a 400/404 naming the offending field. */
final class RequestParser {

    /** OpenAI allows up to four stop sequences. */
    static final int MAX_STOP = 4;

    private RequestParser() {
    }

    static CompletionRequest parse(JsonNode root, boolean chat, SamplerSettings defaults, String modelId) {
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        JsonNode model = root.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) {
                throw ApiException.badRequest("model", "model must be a string");
            }
            if (!model.asText().equals(modelId)) {
                throw ApiException.notFound("model", "model_not_found",
                        "the model '" + model.asText() + "' does not exist; this server serves '" + modelId + "'");
            }
        }
        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == 1)) {
            throw ApiException.badRequest("n", "only n = 1 is supported");
        }
        String prompt = null;
        List<ChatMessage> messages = null;
        if (chat) {
            messages = messages(root.get("messages"));
        } else {
            prompt = prompt(root.get("prompt"));
        }
        int maxTokens = -1;
        for (String field : List.of("max_tokens", "max_completion_tokens")) {
            Integer v = integer(root, field);
            if (v != null) {
                if (v < 0) {
                    throw ApiException.badRequest(field, field + " must not be negative, not " + v);
                }
                maxTokens = v;
            }
        }
        SamplerSettings s = defaults;
        Float temperature = number(root, "temperature", 0, 2);
        Float topP = number(root, "top_p", 0, 1);
        Float minP = number(root, "min_p", 0, 1);
        Integer topK = integer(root, "top_k");
        if (topK != null && topK < 0) {
            throw ApiException.badRequest("top_k", "top_k must not be negative, not " + topK);
        }
        Float penalty = number(root, "repetition_penalty", 0, 10);
        if (penalty == null) {
            penalty = number(root, "repeat_penalty", 0, 10);
        }
        if (penalty != null && penalty <= 0) {
            throw ApiException.badRequest("repetition_penalty", "repetition_penalty must be positive");
        }
        Long seed = null;
        JsonNode seedNode = root.get("seed");
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
                throw ApiException.badRequest("seed", "seed must be an integer");
            }
            seed = seedNode.asLong();
        }
        s = new SamplerSettings(temperature != null ? temperature : s.temperature(), topK != null ? topK : s.topK(),
                topP != null ? topP : s.topP(), minP != null ? minP : s.minP(), penalty != null ? penalty : s.repeatPenalty(),
                s.repeatLastN(), seed != null ? seed : s.seed());
        boolean stream = bool(root, "stream");
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.badRequest("stream_options", "stream_options must be an object");
            }
            includeUsage = bool(options, "include_usage");
        }
        return new CompletionRequest(chat, prompt, messages, maxTokens, s, stop(root.get("stop")), stream, includeUsage);
    }

    private static String prompt(JsonNode p) {
        if (p == null || p.isNull()) {
            throw ApiException.badRequest("prompt", "prompt is required");
        }
        if (p.isTextual()) {
            return p.asText();
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).asText();
        }
        throw ApiException.badRequest("prompt", "prompt must be a string (or an array of exactly one string)");
    }

    private static List<ChatMessage> messages(JsonNode m) {
        if (m == null || m.isNull()) {
            throw ApiException.badRequest("messages", "messages is required");
        }
        if (!m.isArray() || m.isEmpty()) {
            throw ApiException.badRequest("messages", "messages must be a non-empty array");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            JsonNode msg = m.get(i);
            String param = "messages[" + i + "]";
            if (!msg.isObject()) {
                throw ApiException.badRequest(param, param + " must be an object");
            }
            JsonNode role = msg.get("role");
            if (role == null || !role.isTextual() || role.asText().isEmpty()) {
                throw ApiException.badRequest(param + ".role", param + ".role must be a non-empty string");
            }
            out.add(new ChatMessage(role.asText(), content(msg.get("content"), param + ".content")));
        }
        return out;
    }

    /** A string, or an array of {@code {"type": "text", "text": ...}} parts (joined). */
    private static String content(JsonNode c, String param) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(param, param + ": only text parts ({\"type\": \"text\", \"text\": ...}) are supported");
                }
                b.append(part.get("text").asText());
            }
            return b.toString();
        }
        throw ApiException.badRequest(param, param + " must be a string or an array of text parts");
    }

    private static List<String> stop(JsonNode s) {
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (s.isTextual()) {
            return s.asText().isEmpty() ? List.of() : List.of(s.asText());
        }
        if (s.isArray() && s.size() <= MAX_STOP) {
            List<String> out = new ArrayList<>();
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiException.badRequest("stop", "stop must be a string or an array of strings");
                }
                if (!e.asText().isEmpty()) {
                    out.add(e.asText());
                }
            }
            return out;
        }
        throw ApiException.badRequest("stop", "stop must be a string or an array of up to " + MAX_STOP + " strings");
    }

    private static Integer integer(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiException.badRequest(field, field + " must be an integer");
        }
        return v.asInt();
    }

    private static Float number(JsonNode root, String field, double min, double max) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiException.badRequest(field, field + " must be a number");
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw ApiException.badRequest(field, field + " must be between " + min + " and " + max + ", not " + v.asText());
        }
        return (float) d;
    }

    private static boolean bool(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(field, field + " must be true or false");
        }
        return v.asBoolean();
    }
}
