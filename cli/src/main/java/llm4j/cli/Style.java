package llm4j.cli;

/**
 * ANSI colour for text meant for a person: used only when the stream is a terminal, and never when
 * {@code NO_COLOR} is set to anything non-empty (no-color.org).
 */
final class Style {

    static final Style PLAIN = new Style(false);

    private final boolean colour;

    private Style(boolean colour) {
        this.colour = colour;
    }

    /** Colour if {@code terminal} and the user has not opted out. */
    static Style of(boolean terminal) {
        return of(terminal, System.getenv("NO_COLOR"));
    }

    static Style of(boolean terminal, String noColor) {
        return new Style(terminal && (noColor == null || noColor.isEmpty()));
    }

    /** Whether standard output is an interactive terminal (not a pipe or file). */
    static boolean stdoutIsTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    boolean enabled() {
        return colour;
    }

    String dim(String s) {
        return wrap("2", s);
    }

    String bold(String s) {
        return wrap("1", s);
    }

    String warn(String s) {
        return wrap("33", s);
    }

    String accent(String s) {
        return wrap("36", s);
    }

    private String wrap(String code, String s) {
        return colour ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
    }
}
