package llm4j.model.synth;

import llm4j.quant.GgmlType;

/**
 * Picks each tensor's ggml type for a {@link SynthType}, following llama-quantize
 * ({@code llama_tensor_get_type}) so a synthetic file has the same tensor types as a real
 * quantization of the same shape:
 * <ul>
 *   <li>1-D tensors (norms) stay F32;</li>
 *   <li>{@code Q4_K_M}: the output-like tensor (here the tied {@code token_embd}) gets Q6_K, or Q8_0
 *       when its rows are not a multiple of 256; {@code attn_v} and {@code ffn_down} get Q6_K in the
 *       layers {@code use_more_bits} selects; everything else Q4_K;</li>
 *   <li>a type whose block does not divide the row length falls back as llama-quantize does
 *       (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, then F16), except that Q2_K and Q3_K fall back to Q4_0
 *       where llama.cpp would pick IQ4_NL (same 4.5 bits per weight; llm4j has no IQ4_NL kernels).</li>
 * </ul>
 * SmolLM2-135M's 576-wide rows are not a multiple of 256, so its K-quant files mix in these fallbacks,
 * exactly like the Q4_K_M files published for it.
 */
public final class TypePlan {

    private final SynthType type;
    private final int layers;

    public TypePlan(SynthType type, int layers) {
        this.type = type;
        this.layers = layers;
    }

    /**
     * @param name  GGUF tensor name, e.g. {@code blk.3.attn_v.weight}
     * @param shape ggml order, {@code shape[0]} the row length
     * @param layer block index, or -1 for tensors outside the blocks
     */
    public GgmlType typeOf(String name, long[] shape, int layer) {
        if (shape.length < 2 || type == SynthType.F32) {
            return GgmlType.F32;
        }
        GgmlType t = type.base();
        if (type == SynthType.Q4_K_M) {
            t = mixture(name, shape[0], layer);
        }
        return fitRows(t, shape[0]);
    }

    private GgmlType mixture(String name, long rowLength, int layer) {
        if (name.equals("output.weight") || name.equals("token_embd.weight")) {
            // with tied embeddings token_embd is quantized as the output tensor
            return rowLength % GgmlType.Q4_K.blockSize() != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        }
        if ((name.endsWith(".attn_v.weight") || name.endsWith(".ffn_down.weight")) && useMoreBits(layer, layers)) {
            return GgmlType.Q6_K;
        }
        return GgmlType.Q4_K;
    }

    /** llama.cpp's choice of layers that get more bits: the first and last eighth, and every third between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    static GgmlType fitRows(GgmlType t, long rowLength) {
        if (rowLength % t.blockSize() == 0) {
            return t;
        }
        GgmlType fallback = switch (t) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return rowLength % fallback.blockSize() == 0 ? fallback : GgmlType.F16;
    }
}
