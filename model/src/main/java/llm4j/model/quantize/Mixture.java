package llm4j.model.quantize;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import llm4j.quant.GgmlType;

/**
 * llama-quantize's file types: the type most weights get, and the {@code llama_ftype} number written to
 * {@code general.file_type}. K mixtures (_S, _M, _L) give some tensors more bits ({@link QuantPlan}).
 */
public enum Mixture {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    BF16(32, GgmlType.BF16),
    Q8_0(7, GgmlType.Q8_0),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K);

    private final int fileType;
    private final GgmlType base;

    Mixture(int fileType, GgmlType base) {
        this.fileType = fileType;
        this.base = base;
    }

    /** {@code llama_ftype}, as {@code general.file_type} stores it. */
    public int fileType() {
        return fileType;
    }

    /** The type of most weights. */
    public GgmlType base() {
        return base;
    }

    /** The mixture called {@code name}, case-insensitively ("q4_k_m"), or null. */
    public static Mixture byName(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(m -> m.name().equals(upper)).findFirst().orElse(null);
    }

    /** The mixture whose weights are all {@code type} under {@code --pure} (K-quants: the _S variant). */
    public static Mixture pureOf(GgmlType type) {
        for (Mixture m : values()) {
            if (m.base == type) {
                return m;
            }
        }
        throw new IllegalArgumentException("no file type quantizes to " + type);
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
