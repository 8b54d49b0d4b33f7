package llm4j.cli;

import java.io.Closeable;

/** Where chat messages come from: the terminal editor, or lines piped to standard input. */
interface LineSource extends Closeable {

    /** The next whole message (multi-line input joined), or null at end of input (Ctrl-D, EOF). */
    String next();

    /** Whether Ctrl-C was pressed since the last call; clears the flag. */
    boolean interrupted();

    /** Arms Ctrl-C to stop the reply being generated rather than the program. */
    void generating(boolean active);

    /** Whether this is a person at a terminal (prompts, colour, hints) rather than a script. */
    boolean interactive();

    @Override
    void close();
}
