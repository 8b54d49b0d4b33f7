package llm4j.loader;

import java.nio.file.Path;

/**
 * A model file that cannot be used as it is: what was wrong, in which file, at which byte offset
 * (-1 when no single offset is to blame). The CLI prints {@link #getMessage()} as one line.
 *
 * <p>Problems often quote names taken from the file (keys, tensor names), which a hostile file can
 * fill with newlines, terminal escapes or megabytes of text. The message is therefore made safe to
 * print here, once: control and bidirectional-override characters are escaped and an overlong
 * problem loses its middle, so that the start (what) and the end (why) stay readable.
 */
public final class ModelFormatException extends Exception {

    /** Longest problem text kept whole; longer ones keep this many characters around an ellipsis. */
    static final int MAX_PROBLEM_CHARS = 480;

    private final Path file;
    private final long offset;
    private final String problem;

    public ModelFormatException(Path file, long offset, String problem) {
        this(file, offset, problem, null);
    }

    public ModelFormatException(Path file, long offset, String problem, Throwable cause) {
        super(format(file, offset, printable(problem)), cause);
        this.file = file;
        this.offset = offset;
        this.problem = printable(problem);
    }

    private static String format(Path file, long offset, String problem) {
        String where = file == null ? "" : escapeControls(file.toString());
        if (offset >= 0) {
            where += (where.isEmpty() ? "" : " ") + "at byte " + offset;
        }
        return where.isEmpty() ? problem : where + ": " + problem;
    }

    /** {@code problem} as one printable line of bounded length. */
    static String printable(String problem) {
        String clipped = problem;
        if (problem.length() > MAX_PROBLEM_CHARS) {
            int headEnd = MAX_PROBLEM_CHARS / 2;
            int tailStart = problem.length() - MAX_PROBLEM_CHARS / 2;
            // never cut a surrogate pair in two
            if (Character.isHighSurrogate(problem.charAt(headEnd - 1))) {
                headEnd--;
            }
            if (Character.isLowSurrogate(problem.charAt(tailStart))) {
                tailStart++;
            }
            clipped = problem.substring(0, headEnd) + " … " + problem.substring(tailStart);
        }
        return escapeControls(clipped);
    }

    private static String escapeControls(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (needsEscape(c)) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** C0 and C1 controls, DEL, and the characters that reorder text on a terminal. */
    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f
                || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    /** What was wrong, as printed (escaped and clipped). */
    public String problem() {
        return problem;
    }
}
