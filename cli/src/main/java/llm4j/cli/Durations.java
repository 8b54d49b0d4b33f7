package llm4j.cli;

import java.util.Locale;

/** Human-readable durations as ollama prints them: 812.4ms, 2.31s, 1m4.2s. */
final class Durations {

    private Durations() {
    }

    static String format(long nanos) {
        double ms = nanos / 1e6;
        if (ms < 1000) {
            return String.format(Locale.ROOT, "%.1fms", ms);
        }
        double s = ms / 1000;
        if (s < 60) {
            return String.format(Locale.ROOT, "%.2fs", s);
        }
        return String.format(Locale.ROOT, "%dm%.1fs", (long) (s / 60), s % 60);
    }
}
