package llm4j.quant.format;

/**
 * IEEE binary16 and bfloat16 conversions with ggml's exact semantics, including the NaN cases
 * where the JDK's own conversions differ.
 */
public final class HalfFloats {

    private static final int QUIET_BIT_F32 = 0x0040_0000;

    private HalfFloats() {
    }

    /**
     * binary16 to float. Exact for every finite value and infinity; a signalling NaN comes back
     * quiet, as x86's conversion instructions (which ggml's paths end in) return it.
     */
    public static float f16ToFloat(short h) {
        float f = Float.float16ToFloat(h);
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) {
            return Float.intBitsToFloat(Float.floatToRawIntBits(f) | QUIET_BIT_F32);
        }
        return f;
    }

    /**
     * float to binary16, rounding to nearest even (overflow gives infinity). ggml's portable
     * encoder turns every NaN into the canonical quiet NaN 0x7E00 with the input's sign, whereas
     * {@link Float#floatToFloat16} keeps payload bits.
     */
    public static short floatToF16(float f) {
        if (Float.isNaN(f)) {
            return (short) ((Float.floatToRawIntBits(f) >>> 16) & 0x8000 | 0x7E00);
        }
        return Float.floatToFloat16(f);
    }

    /** bfloat16 is the upper half of a float32: widening is exact, NaN payloads included. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /**
     * float to bfloat16, rounding to nearest even on the 16 dropped bits; a NaN keeps its upper
     * half with the quiet bit forced, as ggml's {@code ggml_compute_fp32_to_bf16} does.
     */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
