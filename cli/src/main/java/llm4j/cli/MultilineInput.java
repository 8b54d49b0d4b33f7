package llm4j.cli;

/**
 * Multi-line messages as llama-cli and ollama take them: a line ending in {@code \} continues on the next
 * line, and a block opened by a line starting with {@code """} runs until a line ending with {@code """}.
 * The same rules serve the terminal editor and piped input.
 */
final class MultilineInput {

    static final String FENCE = "\"\"\"";

    private MultilineInput() {
    }

    /** Whether {@code buffer} (lines joined by \n) is a whole message, or needs more lines. */
    static boolean isComplete(String buffer) {
        if (buffer.startsWith(FENCE)) {
            String rest = buffer.substring(FENCE.length());
            return rest.stripTrailing().endsWith(FENCE);
        }
        return !buffer.endsWith("\\");
    }

    /** The message without its continuation backslashes or fences. */
    static String message(String buffer) {
        if (buffer.startsWith(FENCE)) {
            String inner = buffer.stripTrailing();
            inner = inner.substring(FENCE.length(), inner.length() - FENCE.length());
            if (inner.startsWith("\n")) {
                inner = inner.substring(1);
            }
            return inner.endsWith("\n") ? inner.substring(0, inner.length() - 1) : inner;
        }
        return buffer.replace("\\\n", "\n");
    }
}
