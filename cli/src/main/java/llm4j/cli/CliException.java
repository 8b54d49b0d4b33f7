package llm4j.cli;

/** A failure with a one-line message for the user and the exit code it maps to. */
public final class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public static CliException usage(String message) {
        return new CliException(Llm4j.EXIT_USAGE, message);
    }

    public static CliException failure(String message) {
        return new CliException(Llm4j.EXIT_FAILURE, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
