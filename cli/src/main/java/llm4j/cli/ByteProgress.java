package llm4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

import llm4j.loader.gguf.GgufWriter;

/**
 * Progress of a long write on stderr: a line redrawn in place at most a few times a second on a
 * terminal, or one line per 10% when stderr is a file or pipe (so logs stay short).
 */
final class ByteProgress implements GgufWriter.Progress {

    private static final long REDRAW_NANOS = 250_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private long lastDraw;
    private int lastDecile = -1;

    ByteProgress(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
        this.terminal = System.console() != null && System.console().isTerminal();
    }

    @Override
    public void update(long written, long total) {
        int percent = total == 0 ? 100 : (int) (100 * written / total);
        String line = String.format(Locale.ROOT, "llm4j: %s %3d%% (%.1f / %.1f MiB)", label, percent,
                written / 1048576.0, total / 1048576.0);
        if (terminal) {
            long now = System.nanoTime();
            if (written == total || now - lastDraw > REDRAW_NANOS) {
                lastDraw = now;
                err.print("\r" + line + (written == total ? "\n" : ""));
                err.flush();
            }
        } else if (percent / 10 != lastDecile) {
            lastDecile = percent / 10;
            err.println(line);
            err.flush();
        }
    }
}
