package llm4j.model.quantize;

import java.util.List;
import java.util.function.Consumer;

import llm4j.quant.GgmlType;

/**
 * Chooses each tensor's type as llama-quantize does ({@code llama_tensor_get_type} in llama.cpp's
 * {@code src/llama-quant.cpp}): which tensors are quantized at all, the K mixtures' extra bits for the output
 * tensor, {@code attn_v}, {@code ffn_down} and friends, the {@code --output-tensor-type} and
 * {@code --token-embedding-type} overrides, and the fallback for rows a block does not divide. Tensors must
 * be asked for in file order: like llama.cpp, the mixtures count {@code attn_v} and {@code ffn_down}
 * tensors as they go. MoE, Falcon and 70B special cases are kept; IQ types are not offered.
 *
 * <p>One difference: where llama-quantize refuses a tensor whose rows fit no block of the target's family
 * (stories260K's 172-wide {@code ffn_down} for Q4_0), this falls back to F16 with a warning, as ggml's own
 * conversions of that model did.
 */
public final class QuantPlan {

    /** A tensor of the input file: name, ggml shape ({@code shape[0]} = row length) and type. */
    public record Tensor(String name, long[] shape, GgmlType type) {
    }

    private final Mixture mixture;
    private final boolean pure;
    private final GgmlType outputType;
    private final GgmlType embeddingType;
    private final String arch;
    private final int gqa;
    private final int experts;
    private final boolean tiedEmbeddings;
    private final int attentionV;
    private final int ffnDown;
    private int attentionVSeen;
    private int ffnDownSeen;

    /**
     * @param outputType    {@code --output-tensor-type}, or null
     * @param embeddingType {@code --token-embedding-type}, or null
     * @param heads         attention heads and KV heads, for the grouped-query rule (0 when unknown)
     */
    public QuantPlan(Mixture mixture, boolean pure, GgmlType outputType, GgmlType embeddingType, String arch,
                     int heads, int kvHeads, int experts, List<Tensor> tensors) {
        this(mixture, pure, outputType, embeddingType, arch, kvHeads > 0 ? heads / kvHeads : 1, experts,
                tensors.stream().noneMatch(t -> t.name().equals("output.weight")),
                (int) tensors.stream().filter(t -> isAttentionV(t.name())).count(),
                (int) tensors.stream().filter(t -> t.name().contains("ffn_down")).count());
    }

    private QuantPlan(Mixture mixture, boolean pure, GgmlType outputType, GgmlType embeddingType, String arch, int gqa,
                      int experts, boolean tiedEmbeddings, int attentionV, int ffnDown) {
        this.mixture = mixture;
        this.pure = pure;
        this.outputType = outputType;
        this.embeddingType = embeddingType;
        this.arch = arch == null ? "" : arch;
        this.gqa = gqa;
        this.experts = Math.max(1, experts);
        this.tiedEmbeddings = tiedEmbeddings;
        this.attentionV = attentionV;
        this.ffnDown = ffnDown;
    }

    /**
     * A plan for a dense llama model of {@code layers} blocks with tied embeddings, asked in any order with
     * {@link #typeFor} (the synthetic-model writer's case: one {@code attn_v} and {@code ffn_down} per layer).
     */
    public static QuantPlan dense(Mixture mixture, boolean pure, int layers) {
        return new QuantPlan(mixture, pure, null, null, "llama", 1, 1, true, layers, layers);
    }

    /**
     * The type for the next tensor; a fallback is reported to {@code warnings}. Returns the tensor's own type
     * for tensors that stay as they are (1-D, norms, position embeddings, ...).
     */
    public GgmlType next(Tensor t, Consumer<String> warnings) {
        return choose(t, -1, warnings);
    }

    /** As {@link #next} for a tensor of block {@code layer} (which then stands for llama.cpp's running counts). */
    public GgmlType typeFor(Tensor t, int layer, Consumer<String> warnings) {
        return choose(t, layer, warnings);
    }

    private GgmlType choose(Tensor t, int layer, Consumer<String> warnings) {
        if (!quantizable(t)) {
            return t.type();
        }
        String name = t.name();
        GgmlType type;
        if (embeddingType != null && isEmbedding(name)) {
            type = embeddingType;
        } else if (outputType != null && name.equals("output.weight")) {
            type = outputType;
        } else {
            type = mixture.base();
            if (!isQuantized(type)) {
                return type;
            }
            if (!pure) {
                type = mixtureType(t, type, layer);
            }
        }
        return fit(t, type, warnings);
    }

    private static boolean isQuantized(GgmlType t) {
        return t.blockSize() > 1;
    }

    private static boolean isAttentionV(String name) {
        return name.contains("attn_v.weight") || name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight");
    }

    private static boolean isEmbedding(String name) {
        return name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight");
    }

    /** llama.cpp's {@code tensor_allows_quantization}, for the tensor names GGUF llama-family files use. */
    static boolean quantizable(Tensor t) {
        if (t.shape().length < 2) {
            return false;
        }
        String n = t.name();
        if (!n.endsWith("weight") || n.contains("_norm.weight")) {
            return false;
        }
        for (String keep : List.of("ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
                "shortconv.conv.weight", "time_mix_", "attn_rel_b.weight", ".position_embd", ".rel_pos", ".patch_embd")) {
            if (n.contains(keep)) {
                return false;
            }
        }
        return !n.equals("position_embd.weight") && !n.equals("token_types.weight");
    }

    /** llama.cpp's choice of layers that get more bits: the first and last eighth, and every third between. */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private int layerOf(String name, int counter) {
        if (experts > 1 && name.startsWith("blk.")) {
            return Integer.parseInt(name.substring(4, name.indexOf('.', 4)));
        }
        return counter;
    }

    private GgmlType mixtureType(Tensor t, GgmlType type, int layer) {
        String name = t.name();
        Mixture m = mixture;
        boolean falcon = arch.equals("falcon");
        if (name.equals("output.weight") || (tiedEmbeddings && isEmbedding(name))) {
            long nx = t.shape()[0];
            if (falcon || nx % type.blockSize() != 0) {
                return GgmlType.Q8_0;
            }
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        if (isEmbedding(name)) {
            return type;
        }
        if (isAttentionV(name)) {
            int i = layer >= 0 ? layer : attentionVSeen++;
            if (m == Mixture.Q2_K) {
                type = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            } else if (m == Mixture.Q3_K_M) {
                type = i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            } else if (m == Mixture.Q3_K_L) {
                type = GgmlType.Q5_K;
            } else if ((m == Mixture.Q4_K_M || m == Mixture.Q5_K_M) && useMoreBits(i, attentionV)) {
                type = GgmlType.Q6_K;
            } else if (m == Mixture.Q4_K_S && i < 4) {
                type = GgmlType.Q5_K;
            }
            if (experts == 8) {
                type = GgmlType.Q8_0;
            }
            return type;
        }
        if (name.contains("attn_k.weight")) {
            return experts == 8 ? GgmlType.Q8_0 : type;
        }
        if (name.contains("ffn_down")) {
            int i = layer >= 0 ? layer : layerOf(name, ffnDownSeen++);
            int n = ffnDown;
            if (m == Mixture.Q2_K) {
                type = GgmlType.Q3_K;
            } else if (m == Mixture.Q3_K_M) {
                type = i < n / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(i, n) ? GgmlType.Q4_K : GgmlType.Q3_K;
            } else if (m == Mixture.Q3_K_L) {
                type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
            } else if (m == Mixture.Q4_K_M) {
                if (falcon) {
                    type = i < n / 16 ? GgmlType.Q6_K : useMoreBits(i, n) ? GgmlType.Q5_K : GgmlType.Q4_K;
                } else if (useMoreBits(i, n)) {
                    type = GgmlType.Q6_K;
                }
            } else if (m == Mixture.Q5_K_M && useMoreBits(i, n)) {
                type = GgmlType.Q6_K;
            } else if (m == Mixture.Q4_K_S && !falcon && i < n / 8) {
                type = GgmlType.Q5_K;
            }
            return type;
        }
        if (name.contains("attn_output.weight")) {
            if (falcon) {
                return m == Mixture.Q3_K_L ? GgmlType.Q4_K : type;
            }
            if (experts == 8) {
                return switch (m) {
                    case Q2_K, Q3_K_S, Q3_K_M, Q4_K_S, Q4_K_M -> GgmlType.Q5_K;
                    default -> type;
                };
            }
            return switch (m) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                default -> type;
            };
        }
        if (name.contains("attn_qkv.weight")) {
            return switch (m) {
                case Q3_K_M, Q3_K_L -> GgmlType.Q4_K;
                case Q4_K_M -> GgmlType.Q5_K;
                case Q5_K_M -> GgmlType.Q6_K;
                default -> type;
            };
        }
        return type;
    }

    /** llama.cpp's {@code tensor_type_fallback}, extended to every block type (see the class comment). */
    private static GgmlType fit(Tensor t, GgmlType type, Consumer<String> warnings) {
        long cols = t.shape()[0];
        if (cols % type.blockSize() == 0) {
            return type;
        }
        GgmlType fallback = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        if (cols % fallback.blockSize() != 0) {
            fallback = GgmlType.F16;
        }
        warnings.accept(t.name() + ": rows of " + cols + " are not a multiple of " + type.label() + "'s block of "
                + type.blockSize() + "; using " + fallback.label());
        return fallback;
    }
}
