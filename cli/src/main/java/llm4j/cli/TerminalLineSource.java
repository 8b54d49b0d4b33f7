package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EOFError;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;

/**
 * The chat's line editor on JLine: editing keys, persistent history, completion of slash commands and
 * their arguments, multi-line input (the editor keeps the message open while it is incomplete), and
 * Ctrl-C that stops a reply instead of the program.
 */
final class TerminalLineSource implements LineSource {

    private final Terminal terminal;
    private final LineReader reader;
    private final String prompt;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private volatile boolean generating;

    TerminalLineSource(Terminal terminal, Path historyFile, String prompt, PrintWriter err) {
        this.terminal = terminal;
        this.prompt = prompt;
        LineReaderBuilder builder = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("llm4j")
                .parser(new MessageParser())
                .completer(new CommandCompleter())
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "... ")
                .variable(LineReader.HISTORY_SIZE, 2000);
        if (historyFile != null) {
            try {
                Files.createDirectories(historyFile.toAbsolutePath().getParent());
                builder.variable(LineReader.HISTORY_FILE, historyFile);
            } catch (IOException e) {
                err.println("llm4j: warning: no history (cannot create " + historyFile.getParent() + ": " + e.getMessage() + ")");
            }
        }
        this.reader = builder.build();
        reader.option(LineReader.Option.DISABLE_EVENT_EXPANSION, true); // '!' is text, not history expansion
        reader.option(LineReader.Option.INSERT_BRACKET, false);
        // outside readLine JLine hands Ctrl-C to this handler: it stops the reply being generated
        terminal.handle(Terminal.Signal.INT, signal -> {
            if (generating) {
                interrupted.set(true);
            }
        });
    }

    @Override
    public String next() {
        while (true) {
            try {
                String line = reader.readLine(prompt);
                return MultilineInput.message(line);
            } catch (UserInterruptException e) {
                if (e.getPartialLine() == null || e.getPartialLine().isEmpty()) {
                    terminal.writer().println("(Ctrl-D or /exit leaves)");
                    terminal.writer().flush();
                }
            } catch (EndOfFileException e) {
                return null;
            }
        }
    }

    @Override
    public boolean interrupted() {
        return interrupted.getAndSet(false);
    }

    @Override
    public void generating(boolean active) {
        interrupted.set(false);
        generating = active;
    }

    @Override
    public boolean interactive() {
        return true;
    }

    @Override
    public void close() {
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            // history is a convenience; losing the last lines is not worth an error at exit
        }
    }

    /** Asks the editor for more lines while a message is incomplete (trailing backslash, open fence). */
    private static final class MessageParser implements Parser {
        private final DefaultParser words = new DefaultParser();

        @Override
        public ParsedLine parse(String line, int cursor, ParseContext context) {
            if (context == ParseContext.ACCEPT_LINE && !MultilineInput.isComplete(line)) {
                throw new EOFError(-1, -1, "message continues", "message");
            }
            if (context == ParseContext.ACCEPT_LINE) {
                return words.parse("", 0, context); // the message is taken verbatim; quotes mean nothing
            }
            return words.parse(line, cursor, context);
        }
    }

    /** Slash commands, then their arguments: /set names, file names for /save and /load. */
    private static final class CommandCompleter implements Completer {
        private final Completer files = new Completers.FileNameCompleter();

        @Override
        public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
            if (line.wordIndex() == 0) {
                if (line.word().startsWith("/") || line.word().isEmpty()) {
                    ChatCommands.NAMES.forEach(n -> candidates.add(new Candidate(n)));
                }
                return;
            }
            String command = line.words().getFirst();
            if (line.wordIndex() == 1 && command.equals("/set")) {
                ChatCommands.SETTINGS.forEach(n -> candidates.add(new Candidate(n)));
            } else if (line.wordIndex() == 1 && (command.equals("/save") || command.equals("/load"))) {
                files.complete(reader, line, candidates);
            }
        }
    }
}
