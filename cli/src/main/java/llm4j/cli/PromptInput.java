package llm4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a prompt given as text, as a file or on standard input. Bytes that are not UTF-8 are
 * replaced by U+FFFD with a warning rather than refused: a stray byte should not stop a run.
 */
final class PromptInput {

    /** Refuse prompt files beyond this size before reading them into memory. */
    static final long MAX_PROMPT_BYTES = 64L << 20;

    private PromptInput() {
    }

    static String read(String text, Path file, InputStream stdin, PrintWriter err) {
        if (text != null && file != null) {
            throw CliException.usage("give the prompt either with -p or with -f, not both");
        }
        if (text != null) {
            return text;
        }
        byte[] bytes;
        try {
            if (file != null) {
                if (!Files.isRegularFile(file)) {
                    throw CliException.failure(file + ": no such prompt file");
                }
                if (Files.size(file) > MAX_PROMPT_BYTES) {
                    throw CliException.failure(file + ": prompt file is larger than " + (MAX_PROMPT_BYTES >> 20) + " MiB");
                }
                bytes = Files.readAllBytes(file);
            } else {
                bytes = stdin.readNBytes((int) MAX_PROMPT_BYTES + 1);
                if (bytes.length > MAX_PROMPT_BYTES) {
                    throw CliException.failure("prompt on standard input is larger than " + (MAX_PROMPT_BYTES >> 20) + " MiB");
                }
            }
        } catch (IOException e) {
            throw CliException.failure("cannot read the prompt: " + e.getMessage());
        }
        return decode(bytes, err);
    }

    static String decode(byte[] bytes, PrintWriter err) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            err.println("llm4j: warning: the prompt is not valid UTF-8; invalid bytes were replaced by U+FFFD");
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
