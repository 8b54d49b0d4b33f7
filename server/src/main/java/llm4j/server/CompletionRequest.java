package llm4j.server;

import java.util.List;

import llm4j.model.chat.ChatMessage;
import llm4j.model.sample.SamplerSettings;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} body.
 *
 * @param prompt       the prompt text (completions), or null for chat
 * @param messages     the conversation (chat), or null for completions
 * @param maxTokens    tokens to generate at most; -1 until end of text or a full context
 * @param stop         strings that end generation (not included in the output)
 * @param includeUsage whether a stream ends with a usage chunk ({@code stream_options.include_usage})
 */
public record CompletionRequest(boolean chat, String prompt, List<ChatMessage> messages, int maxTokens,
                                SamplerSettings sampling, List<String> stop, boolean stream, boolean includeUsage) {

    public CompletionRequest {
        stop = List.copyOf(stop);
        messages = messages == null ? null : List.copyOf(messages);
    }
}
