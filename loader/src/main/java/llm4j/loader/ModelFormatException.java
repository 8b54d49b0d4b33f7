package llm4j.loader;

import java.nio.file.Path;

/**
 * A model file that cannot be used as it is: what was wrong, in which file, at which byte offset
 * (-1 when no single offset is to blame). The CLI prints {@link #getMessage()} as one line.
 */
public final class ModelFormatException extends Exception {

    private final Path file;
    private final long offset;
    private final String problem;

    public ModelFormatException(Path file, long offset, String problem) {
        super(format(file, offset, problem));
        this.file = file;
        this.offset = offset;
        this.problem = problem;
    }

    public ModelFormatException(Path file, long offset, String problem, Throwable cause) {
        super(format(file, offset, problem), cause);
        this.file = file;
        this.offset = offset;
        this.problem = problem;
    }

    private static String format(Path file, long offset, String problem) {
        String where = file == null ? "" : file.toString();
        if (offset >= 0) {
            where += (where.isEmpty() ? "" : " ") + "at byte " + offset;
        }
        return where.isEmpty() ? problem : where + ": " + problem;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    public String problem() {
        return problem;
    }
}
