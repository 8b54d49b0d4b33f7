package llm4j.model.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The templates llm4j ships, each the published Jinja template of a reference model, so a model whose own
 * template is missing or broken can still chat:
 * <ul>
 *   <li>{@code chatml}: teknium/OpenHermes-2.5-Mistral-7B (also Qwen, SmolLM2, Phi-4-ish models);</li>
 *   <li>{@code llama2}: meta-llama/Llama-2-7b-chat-hf ({@code <<SYS>>} inside the first {@code [INST]});</li>
 *   <li>{@code llama3}: meta-llama/Meta-Llama-3-8B-Instruct;</li>
 *   <li>{@code mistral}: Mistral's official "v1" template (Mistral-7B-Instruct v0.1/v0.2, Mixtral);</li>
 *   <li>{@code zephyr}: HuggingFaceH4/zephyr-7b-beta (also TinyLlama-Chat);</li>
 *   <li>{@code gemma}: google/gemma-7b-it, except that a system message opens the first user turn (as
 *       llama.cpp does) instead of being refused.</li>
 * </ul>
 */
public final class BuiltinTemplates {

    public static final List<String> NAMES = List.of("chatml", "llama2", "llama3", "mistral", "zephyr", "gemma");

    private BuiltinTemplates() {
    }

    /** The built-in called {@code name} (case-insensitive), or null. */
    public static ChatTemplate byName(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(key)) {
            return null;
        }
        String resource = "/llm4j/chat/" + key + ".jinja";
        try (InputStream in = BuiltinTemplates.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return new ChatTemplate(key, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The built-in whose markers {@code source} uses (llama.cpp's detection heuristics, reduced to these six),
     * so a template that fails to render falls back to the format the model was trained on; chatml otherwise.
     */
    public static ChatTemplate closestTo(String source) {
        String s = source == null ? "" : source;
        String name;
        if (s.contains("<start_of_turn>")) {
            name = "gemma";
        } else if (s.contains("<|start_header_id|>")) {
            name = "llama3";
        } else if (s.contains("[INST]")) {
            name = s.contains("<<SYS>>") ? "llama2" : "mistral";
        } else if (s.contains("<|user|>") && s.contains("<|assistant|>")) {
            name = "zephyr";
        } else {
            name = "chatml";
        }
        return byName(name);
    }
}
