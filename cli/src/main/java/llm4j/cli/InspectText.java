package llm4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.TensorView;
import llm4j.quant.QuantFormats;

/** The text form of {@code inspect}: a summary block, gguf-dump's key/value list and a tensor table. */
final class InspectText {

    private final PrintWriter out;
    private final Style style;

    InspectText(PrintWriter out, Style style) {
        this.out = out;
        this.style = style;
    }

    void summary(ModelFile file, ModelSummary s) {
        out.println(style.bold("  Model"));
        row("architecture", s.architecture());
        if (s.name() != null) {
            row("name", s.name());
        }
        row("format", file.format());
        row("parameters", parameters(s.parameters()));
        row("file size", InspectCommand.size(s.fileSize()));
        row("bits per weight", String.format(Locale.ROOT, "%.2f", s.bitsPerWeight()));
        row("context length", s.contextLength());
        row("embedding length", s.embeddingLength());
        row("layers", s.layers());
        row("heads / KV heads", s.heads() == null ? null : s.heads() + " / " + s.kvHeads() + " (head dim " + s.headDim() + ")");
        row("tokenizer", s.tokenizerKind() == null ? null : s.tokenizerKind() + ", " + s.vocabSize() + " tokens");
        row("chat template", s.chatTemplate() ? "yes" : "none");
        if (!s.kvBytesPerToken().isEmpty()) {
            row("KV bytes/token", s.kvBytesPerToken().entrySet().stream()
                    .map(e -> e.getKey() + " " + (e.getValue() == null ? "n/a" : e.getValue()))
                    .collect(Collectors.joining(", ")));
        }
        out.println();
    }

    private void row(String label, Object value) {
        out.printf(Locale.ROOT, "    %-20s%s%n", label, value == null ? "-" : value);
    }

    private static String parameters(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.2fK (%d)", n / 1e3, n);
    }

    void metadata(Metadata md, int limit) {
        out.println(style.bold("* " + md.asMap().size() + " key/value pair(s)"));
        int i = 1;
        for (Map.Entry<String, MetadataValue> e : md.asMap().entrySet()) {
            MetadataValue v = e.getValue();
            out.printf(Locale.ROOT, "%6d: %-15s | %8d | %s = %s%n", i++, v.typeLabel(), v.length(), e.getKey(),
                    MetadataFormat.text(v, limit));
        }
        out.println();
    }

    void tensors(ModelFile file, List<TensorView> tensors, boolean stats) {
        List<TensorView> all = file.tensors();
        out.println(style.bold("* " + tensors.size() + " tensor(s)"));
        out.printf(Locale.ROOT, "%6s  %-32s %-6s %-22s %12s %12s %12s%s%n", "index", "name", "type", "shape", "elements",
                "bytes", "offset", stats ? String.format(Locale.ROOT, " %12s %12s %12s %12s %5s %5s", "min", "max", "mean", "std", "nan", "inf") : "");
        for (TensorView t : tensors) {
            String shape = java.util.Arrays.stream(t.shape()).mapToObj(Long::toString).collect(Collectors.joining(", ", "[", "]"));
            out.printf(Locale.ROOT, "%6d  %-32s %-6s %-22s %12d %12d %12d", all.indexOf(t), t.name(), t.typeLabel(), shape,
                    t.elementCount(), t.byteSize(), t.offset());
            if (stats) {
                if (QuantFormats.has(t.type())) {
                    TensorStats s = TensorStats.of(t);
                    out.printf(Locale.ROOT, " %12.5g %12.5g %12.5g %12.5g %5d %5d", s.min(), s.max(), s.mean(), s.std(), s.nan(), s.inf());
                } else {
                    out.print("  (no kernels for this type)");
                }
            }
            out.println();
        }
    }

    void values(TensorView t, float[] values) {
        out.println();
        out.println(style.bold("* " + t.name() + ": first " + values.length + " of " + t.elementCount() + " values (dequantized)"));
        for (int i = 0; i < values.length; i += 8) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%10d:", i));
            for (int j = i; j < Math.min(values.length, i + 8); j++) {
                b.append(' ').append(Float.toString(values[j]));
            }
            out.println(b);
        }
    }
}
