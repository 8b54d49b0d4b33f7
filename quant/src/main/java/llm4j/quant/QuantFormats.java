package llm4j.quant;

import llm4j.quant.format.BF16Format;
import llm4j.quant.format.F16Format;
import llm4j.quant.format.F32Format;
import llm4j.quant.format.Q4_0Format;
import llm4j.quant.format.Q4_1Format;
import llm4j.quant.format.Q5_0Format;
import llm4j.quant.format.Q5_1Format;
import llm4j.quant.format.Q8_0Format;
import llm4j.quant.format.Q2_KFormat;
import llm4j.quant.format.Q3_KFormat;
import llm4j.quant.format.Q4_KFormat;
import llm4j.quant.format.Q5_KFormat;
import llm4j.quant.format.Q6_KFormat;

/** The registry of block formats llm4j can decode and multiply. */
public final class QuantFormats {

    private QuantFormats() {
    }

    /** The format of {@code type}; throws {@link UnsupportedTypeException} for types without kernels. */
    public static QuantFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32Format.INSTANCE;
            case F16 -> F16Format.INSTANCE;
            case BF16 -> BF16Format.INSTANCE;
            case Q4_0 -> Q4_0Format.INSTANCE;
            case Q4_1 -> Q4_1Format.INSTANCE;
            case Q5_0 -> Q5_0Format.INSTANCE;
            case Q5_1 -> Q5_1Format.INSTANCE;
            case Q8_0 -> Q8_0Format.INSTANCE;
            case Q2_K -> Q2_KFormat.INSTANCE;
            case Q3_K -> Q3_KFormat.INSTANCE;
            case Q4_K -> Q4_KFormat.INSTANCE;
            case Q5_K -> Q5_KFormat.INSTANCE;
            case Q6_K -> Q6_KFormat.INSTANCE;
            default -> throw new UnsupportedTypeException(type);
        };
    }

    public static boolean has(GgmlType type) {
        try {
            of(type);
            return true;
        } catch (UnsupportedTypeException e) {
            return false;
        }
    }
}
