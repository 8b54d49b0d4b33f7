package llm4j.loader.gguf;

import java.util.Arrays;
import java.util.List;

import llm4j.loader.MetadataValue;

/** Deep, bit-exact equality of metadata values (floats by their bits, so NaN payloads count). */
final class MetadataEquality {

    private MetadataEquality() {
    }

    static boolean same(MetadataValue a, MetadataValue b) {
        if (a.type() != b.type() || a.elementType() != b.elementType()) {
            return false;
        }
        return switch (a.value()) {
            case Float f -> b.value() instanceof Float g && Float.floatToRawIntBits(f) == Float.floatToRawIntBits(g);
            case Double d -> b.value() instanceof Double e && Double.doubleToRawLongBits(d) == Double.doubleToRawLongBits(e);
            case long[] x -> b.value() instanceof long[] y && Arrays.equals(x, y);
            case float[] x -> b.value() instanceof float[] y && Arrays.equals(bits(x), bits(y));
            case double[] x -> b.value() instanceof double[] y && Arrays.equals(bits(x), bits(y));
            case boolean[] x -> b.value() instanceof boolean[] y && Arrays.equals(x, y);
            case String[] x -> b.value() instanceof String[] y && Arrays.equals(x, y);
            case List<?> x -> b.value() instanceof List<?> y && x.size() == y.size() && allSame(x, y);
            default -> a.value().equals(b.value());
        };
    }

    private static boolean allSame(List<?> x, List<?> y) {
        for (int i = 0; i < x.size(); i++) {
            if (!same((MetadataValue) x.get(i), (MetadataValue) y.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Float.floatToRawIntBits(a[i]);
        }
        return out;
    }

    private static long[] bits(double[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Double.doubleToRawLongBits(a[i]);
        }
        return out;
    }
}
