package llm4j.quant;

import llm4j.quant.format.HalfFloats;

/**
 * The rounding ggml applies to a product's activations before multiplying them by quantized weights
 * (its {@code vec_dot_type}): 8-bit blocks. llm4j's kernels multiply by float activations; rounding
 * them first, exactly as ggml does, reproduces the values llama.cpp's integer dot products see, so logits land where llama.cpp's do
 * (without it, 8-bit activations alone move quantized models' logits by up to ~0.2). The products
 * themselves stay in float: for 8-bit codes times 8-bit codes each block sum is an integer a float
 * holds exactly, so only the final scaling rounds differently.
 */
public enum ActivationRounding {

    /** F32, F16, BF16, Q4_1, Q5_1 weights: activations stay as they are. */
    NONE,
    /**
     * {@code quantize_row_q8_0} as the x86 (AVX2) build runs it, for Q4_0/Q5_0/Q8_0: blocks of 32,
     * d = amax/127 stored as fp16, q = round-half-even(x · 127/amax). Not used for Q4_1/Q5_1: their
     * Q8_1 activations carry s = fp16(d·Σq), and ggml's min term m·s rounds differently from m·Σx;
     * with the codes rounded but that term not, a stories260K Q4_1 greedy decode left llama.cpp's at
     * token 3, while float activations follow it.
     */
    Q8_0,
    /**
     * {@code quantize_row_q8_K} (the reference code, which every build uses) for the K-quants: blocks of
     * 256, iscale = −127/max where max is the signed value of largest magnitude,
     * q = min(127, round-half-even(iscale · x)), d = 1/iscale in float.
     */
    Q8_K,
    /** F16 weights of a GGUF file: activations converted to fp16 (nearest even), as ggml does. */
    F16,
    /** BF16 weights of a GGUF file: activations converted to bf16 (nearest even), as ggml does. */
    BF16;

    /**
     * {@code -Dllm4j.activations=float|quantized|ggml} forces one mapping for every file (A/B runs):
     * {@code float} keeps every activation in float, {@code quantized} rounds only for quantized weights,
     * {@code ggml} also rounds F16/BF16 weights' activations to half floats. Unset, the file decides.
     */
    private static final String MODE = System.getProperty("llm4j.activations", "");

    /** The mapping for weights that are not from a GGUF file (see {@link #forWeights(GgmlType, boolean)}). */
    public static ActivationRounding forWeights(GgmlType type) {
        return forWeights(type, false);
    }

    /**
     * What ggml does to activations multiplied by weights of {@code type}. A GGUF file's reference runtime is
     * ggml, so its weights get exactly ggml's rounding, half floats for F16/BF16 included (stories260K Q8_0's
     * F16 ffn_down kept its logits 0.1-0.2 from llama.cpp's without it). Other files (Hugging Face F16/BF16
     * checkpoints, SMQ) are specified with float activations (ArchitectureTest's double-precision reference,
     * 2e-4, failed at 0.011 with half-float rounding): only their quantized weights get 8-bit activations.
     *
     * @param ggmlFile whether the weights come from a GGUF file
     */
    public static ActivationRounding forWeights(GgmlType type, boolean ggmlFile) {
        String mode = MODE.isEmpty() ? (ggmlFile ? "ggml" : "quantized") : MODE;
        return switch (mode) {
            case "float" -> NONE;
            case "ggml" -> switch (type) {
                case Q4_0, Q5_0, Q8_0 -> Q8_0;
                case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
                case F16 -> F16;
                case BF16 -> BF16;
                default -> NONE;
            };
            default -> switch (type) {
                case Q4_0, Q5_0, Q8_0 -> Q8_0;
                case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
                default -> NONE;
            };
        };
    }

    /** Rounds {@code n} values (a multiple of the block size for Q8_0/Q8_K) from {@code src} into {@code dst}. */
    public void apply(float[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        switch (this) {
            case NONE -> System.arraycopy(src, srcOffset, dst, dstOffset, n);
            case Q8_0 -> {
                for (int b = 0; b < n; b += 32) {
                    q8_0Block(src, srcOffset + b, dst, dstOffset + b);
                }
            }
            case Q8_K -> {
                for (int b = 0; b < n; b += 256) {
                    q8_KBlock(src, srcOffset + b, dst, dstOffset + b);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(src[srcOffset + i]));
                }
            }
        }
    }

    /** The block size {@link #apply} needs {@code n} to be a multiple of. */
    public int blockSize() {
        return switch (this) {
            case Q8_0 -> 32;
            case Q8_K -> 256;
            default -> 1;
        };
    }

    private static void q8_0Block(float[] x, int xo, float[] y, int yo) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = HalfFloats.f16ToFloat(HalfFloats.floatToF16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) {
            // _mm256_round_ps(_MM_ROUND_NEAREST) rounds half to even, as Math.rint does
            y[yo + j] = (float) Math.rint(x[xo + j] * id) * d;
        }
    }

    private static void q8_KBlock(float[] x, int xo, float[] y, int yo) {
        float max = 0f;
        float amax = 0f;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax == 0f) {
            java.util.Arrays.fill(y, yo, yo + 256, 0f);
            return;
        }
        float iscale = -127f / max;
        float d = 1f / iscale;
        for (int j = 0; j < 256; j++) {
            // nearest_int: the 1.5·2^23 trick, round half to even like Math.rint
            float q = Math.min(127f, (float) Math.rint(iscale * x[xo + j]));
            y[yo + j] = q * d;
        }
    }
}
