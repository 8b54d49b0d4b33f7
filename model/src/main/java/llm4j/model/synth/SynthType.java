package llm4j.model.synth;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import llm4j.quant.GgmlType;

/**
 * The weight type a synthetic model is written in: one ggml type for every matrix ("pure", as
 * {@code llama-quantize --pure} does), or the {@code Q4_K_M} mixture. Norms always stay F32.
 */
public enum SynthType {
    F32(GgmlType.F32, 0),
    F16(GgmlType.F16, 1),
    BF16(GgmlType.BF16, 32),
    Q8_0(GgmlType.Q8_0, 7),
    Q4_0(GgmlType.Q4_0, 2),
    Q4_1(GgmlType.Q4_1, 3),
    Q5_0(GgmlType.Q5_0, 8),
    Q5_1(GgmlType.Q5_1, 9),
    Q2_K(GgmlType.Q2_K, 10),
    // llama.cpp has no "pure Q3_K/Q4_K/Q5_K" file types; like the shared test files, these carry the _S label
    Q3_K(GgmlType.Q3_K, 11),
    Q4_K(GgmlType.Q4_K, 14),
    Q5_K(GgmlType.Q5_K, 16),
    Q6_K(GgmlType.Q6_K, 18),
    /** Q4_K, with Q6_K where llama-quantize's Q4_K_M rule puts it (output-like tensor, some attn_v and ffn_down). */
    Q4_K_M(GgmlType.Q4_K, 15);

    private final GgmlType base;
    private final int fileType;

    SynthType(GgmlType base, int fileType) {
        this.base = base;
        this.fileType = fileType;
    }

    /** The type of most matrices. */
    public GgmlType base() {
        return base;
    }

    /** llama.cpp's {@code llama_ftype} number for {@code general.file_type}. */
    public int fileType() {
        return fileType;
    }

    /** The type called {@code name} (case-insensitive, "q4_k_m"), or null. */
    public static SynthType byName(String name) {
        for (SynthType t : values()) {
            if (t.name().equalsIgnoreCase(name.toUpperCase(Locale.ROOT))) {
                return t;
            }
        }
        return null;
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
