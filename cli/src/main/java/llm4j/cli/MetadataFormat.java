package llm4j.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import llm4j.loader.MetadataValue;

/** Metadata values as gguf-dump shows them: strings quoted, long arrays cut to their first elements. */
final class MetadataFormat {

    /** Array elements shown without {@code --full}. */
    static final int SHOWN = 8;

    private MetadataFormat() {
    }

    /** The value as text; arrays longer than {@code limit} (negative: no limit) end with "... (N more)". */
    static String text(MetadataValue v, int limit) {
        List<Object> items = elements(v);
        if (items == null) {
            return scalar(v.value());
        }
        int shown = limit < 0 ? items.size() : Math.min(limit, items.size());
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < shown; i++) {
            b.append(i > 0 ? ", " : "").append(items.get(i) instanceof MetadataValue m ? text(m, limit) : scalar(items.get(i)));
        }
        if (shown < items.size()) {
            b.append(", ... (").append(items.size() - shown).append(" more)");
        }
        return b.append(']').toString();
    }

    /** The value for JSON: scalars as they are, arrays as lists cut to {@code limit} (negative: all). */
    static Object json(MetadataValue v, int limit) {
        List<Object> items = elements(v);
        if (items == null) {
            return v.value();
        }
        int shown = limit < 0 ? items.size() : Math.min(limit, items.size());
        List<Object> out = new ArrayList<>(shown);
        for (int i = 0; i < shown; i++) {
            out.add(items.get(i) instanceof MetadataValue m ? json(m, limit) : items.get(i));
        }
        return out;
    }

    private static String scalar(Object o) {
        if (o instanceof String s) {
            String shown = s.length() > 200 ? s.substring(0, 200) + "... (" + s.length() + " chars)" : s;
            return "'" + shown.replace("\\", "\\\\").replace("\n", "\\n").replace("'", "\\'") + "'";
        }
        return String.valueOf(o);
    }

    private static List<Object> elements(MetadataValue v) {
        return switch (v.value()) {
            case long[] a -> Arrays.stream(a).boxed().map(Object.class::cast).toList();
            case float[] a -> {
                List<Object> l = new ArrayList<>(a.length);
                for (float f : a) {
                    l.add(f);
                }
                yield l;
            }
            case double[] a -> Arrays.stream(a).boxed().map(Object.class::cast).toList();
            case boolean[] a -> {
                List<Object> l = new ArrayList<>(a.length);
                for (boolean x : a) {
                    l.add(x);
                }
                yield l;
            }
            case String[] a -> Arrays.asList((Object[]) a);
            case List<?> a -> new ArrayList<>(a);
            default -> null;
        };
    }
}
