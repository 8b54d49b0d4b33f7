package llm4j.server;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The JSON shapes the server writes, field for field as the OpenAI API names them. */
final class Api {

    private Api() {
    }

    record ErrorBody(Error error) {
    }

    record Error(String message, String type, String param, String code) {
    }

    record PromptTokensDetails(@JsonProperty("cached_tokens") int cachedTokens) {
    }

    record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                 @JsonProperty("completion_tokens") int completionTokens,
                 @JsonProperty("total_tokens") int totalTokens,
                 @JsonProperty("prompt_tokens_details") PromptTokensDetails promptTokensDetails) {

        static Usage of(int prompt, int completion, int cached) {
            return new Usage(prompt, completion, prompt + completion, new PromptTokensDetails(cached));
        }
    }

    record Message(String role, String content) {
    }

    /** A chat delta: only the fields that changed are present. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record CompletionChoice(int index, String text, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatChoice(int index, Message message, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatChunkChoice(int index, Delta delta, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Completion(String id, String object, long created, String model, List<?> choices, Usage usage) {
    }

    record ModelCard(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }

    record ModelList(String object, List<ModelCard> data) {
    }
}
