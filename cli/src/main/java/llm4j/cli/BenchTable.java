package llm4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import llm4j.model.bench.BenchModel;
import llm4j.model.bench.BenchResult;
import llm4j.model.bench.SampleStats;

/**
 * llama-bench's markdown table, printed a row at a time as results arrive (a long benchmark shows
 * progress), plus two columns: the read bandwidth measured before the row and the generation roofline.
 * Column widths are fixed from what is known before the first row.
 */
final class BenchTable {

    private record Column(String title, int width, boolean right) {
    }

    private final PrintWriter out;
    private final BenchModel model;
    private final boolean kvColumn;
    private final List<Column> columns = new ArrayList<>();

    /** {@code testNames}: every row's test name, for the test column's width; {@code kvColumn}: show the KV types. */
    BenchTable(PrintWriter out, BenchModel model, List<String> testNames, List<String> kvTypes, boolean kvColumn) {
        this.out = out;
        this.model = model;
        this.kvColumn = kvColumn;
        columns.add(new Column("model", Math.max(20, model.description().length()), false));
        columns.add(new Column("size", 10, true));
        columns.add(new Column("params", 10, true));
        columns.add(new Column("type", Math.max(6, model.type().length()), false));
        if (kvColumn) {
            columns.add(new Column("kv", Math.max(6, kvTypes.stream().mapToInt(String::length).max().orElse(0)), false));
        }
        columns.add(new Column("threads", 7, true));
        columns.add(new Column("test", Math.max(13, testNames.stream().mapToInt(String::length).max().orElse(0)), true));
        columns.add(new Column("t/s", 20, true));
        columns.add(new Column("bw GB/s", 8, true));
        columns.add(new Column("roofline", 8, true));
    }

    void header() {
        StringBuilder titles = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (Column c : columns) {
            titles.append(' ').append(pad(c.title, c.width, c.right)).append(" |");
            rule.append(' ').append("-".repeat(c.width - (c.right ? 1 : 0))).append(c.right ? ":" : "").append(" |");
        }
        out.println(titles);
        out.println(rule);
        out.flush();
    }

    void row(BenchResult r) {
        List<String> cells = new ArrayList<>();
        cells.add(model.description());
        cells.add(size(model.size()));
        cells.add(params(model.params()));
        cells.add(model.type());
        if (kvColumn) {
            cells.add(r.kvType());
        }
        cells.add(Integer.toString(r.threads()));
        cells.add(r.test().name());
        SampleStats ts = r.ts();
        cells.add(String.format(Locale.ROOT, "%.2f ± %.2f", ts.mean(), ts.sd()));
        cells.add(r.bandwidthMeasured() ? String.format(Locale.ROOT, "%.1f", r.bandwidth() / 1e9) : "-");
        double roof = r.roofline();
        cells.add(Double.isNaN(roof) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * roof));
        StringBuilder line = new StringBuilder("|");
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            line.append(' ').append(pad(cells.get(i), c.width, c.right)).append(" |");
        }
        out.println(line);
        out.flush();
    }

    /** llama-bench's size: MiB below a GiB, else GiB. */
    static String size(long bytes) {
        return bytes < (1L << 30)
                ? String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20))
                : String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    /** llama-bench's parameter count: millions below a billion, else billions. */
    static String params(long n) {
        return n < 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f M", n / 1e6)
                : String.format(Locale.ROOT, "%.2f B", n / 1e9);
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() >= width) {
            return s;
        }
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
