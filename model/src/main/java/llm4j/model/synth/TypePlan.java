package llm4j.model.synth;

import llm4j.model.quantize.Mixture;
import llm4j.model.quantize.QuantPlan;
import llm4j.quant.GgmlType;

/**
 * Picks each tensor's ggml type for a {@link SynthType} with llama-quantize's rules ({@link QuantPlan},
 * shared with {@code llm4j quantize}), so a synthetic file has the same tensor types as a real
 * quantization of the same shape:
 * <ul>
 *   <li>1-D tensors (norms) stay F32;</li>
 *   <li>{@code Q4_K_M}: the output-like tensor (here the tied {@code token_embd}) gets Q6_K, or Q8_0
 *       when its rows are not a multiple of 256; {@code attn_v} and {@code ffn_down} get Q6_K in the
 *       layers {@code use_more_bits} selects; everything else Q4_K;</li>
 *   <li>the other types are "pure": one type everywhere, like {@code llama-quantize --pure};</li>
 *   <li>a type whose block does not divide the row length falls back as llama-quantize does
 *       (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K and Q3_K→Q4_0, then F16).</li>
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
        boolean mixture = type == SynthType.Q4_K_M;
        QuantPlan plan = QuantPlan.dense(mixture ? Mixture.Q4_K_M : Mixture.pureOf(type.base()), !mixture, layers);
        return plan.typeFor(new QuantPlan.Tensor(name, shape, GgmlType.F32), layer, warning -> { });
    }

    /** llama.cpp's choice of layers that get more bits: the first and last eighth, and every third between. */
    static boolean useMoreBits(int layer, int layers) {
        return QuantPlan.useMoreBits(layer, layers);
    }
}
