package llm4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Messages from a pipe or file: one per line, or several lines joined by the multi-line rules. */
final class PipedLineSource implements LineSource {

    private final BufferedReader in;

    PipedLineSource(InputStream stdin) {
        this.in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    }

    @Override
    public String next() {
        try {
            String line = in.readLine();
            if (line == null) {
                return null;
            }
            StringBuilder buffer = new StringBuilder(stripCr(line));
            while (!MultilineInput.isComplete(buffer.toString())) {
                String more = in.readLine();
                if (more == null) {
                    break; // an unterminated block at EOF is sent as it is
                }
                buffer.append('\n').append(stripCr(more));
            }
            String text = buffer.toString();
            return MultilineInput.isComplete(text) ? MultilineInput.message(text) : text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    @Override
    public boolean interrupted() {
        return false;
    }

    @Override
    public void generating(boolean active) {
        // a script is stopped by its signal's default action
    }

    @Override
    public boolean interactive() {
        return false;
    }

    @Override
    public void close() {
        // standard input stays open for the process
    }
}
