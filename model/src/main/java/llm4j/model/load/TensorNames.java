package llm4j.model.load;

/**
 * Where each weight of a llama-family model lives in a file: GGUF's names ({@code blk.0.attn_q.weight}) or Hugging
 * Face's ({@code model.layers.0.self_attn.q_proj.weight}). Linear layers are named by prefix; ".weight" and
 * ".bias" are appended.
 */
public enum TensorNames {

    GGUF("token_embd.weight", "output_norm.weight", "output") {
        @Override
        public String layer(int l, Part part) {
            String p = "blk." + l + ".";
            return p + switch (part) {
                case ATTN_NORM -> "attn_norm.weight";
                case Q -> "attn_q";
                case K -> "attn_k";
                case V -> "attn_v";
                case O -> "attn_output";
                case FFN_NORM -> "ffn_norm.weight";
                case GATE -> "ffn_gate";
                case UP -> "ffn_up";
                case DOWN -> "ffn_down";
            };
        }
    },

    HF("model.embed_tokens.weight", "model.norm.weight", "lm_head") {
        @Override
        public String layer(int l, Part part) {
            String p = "model.layers." + l + ".";
            return p + switch (part) {
                case ATTN_NORM -> "input_layernorm.weight";
                case Q -> "self_attn.q_proj";
                case K -> "self_attn.k_proj";
                case V -> "self_attn.v_proj";
                case O -> "self_attn.o_proj";
                case FFN_NORM -> "post_attention_layernorm.weight";
                case GATE -> "mlp.gate_proj";
                case UP -> "mlp.up_proj";
                case DOWN -> "mlp.down_proj";
            };
        }
    };

    /** The weights of one transformer block. */
    public enum Part {
        ATTN_NORM, Q, K, V, O, FFN_NORM, GATE, UP, DOWN
    }

    private final String embedding;
    private final String outputNorm;
    private final String output;

    TensorNames(String embedding, String outputNorm, String output) {
        this.embedding = embedding;
        this.outputNorm = outputNorm;
        this.output = output;
    }

    /** The full name of a norm, or the prefix of a linear layer. */
    public abstract String layer(int l, Part part);

    public String embedding() {
        return embedding;
    }

    public String outputNorm() {
        return outputNorm;
    }

    /** Prefix of the output projection (absent when tied to the embedding). */
    public String output() {
        return output;
    }

    /** The GGUF name of a Hugging Face weight name, or null when it is none of a llama model's weights. */
    public static String toGguf(String hfName, int layers) {
        if (hfName.equals(HF.embedding)) {
            return GGUF.embedding;
        }
        if (hfName.equals(HF.outputNorm)) {
            return GGUF.outputNorm;
        }
        for (String suffix : new String[] {".weight", ".bias"}) {
            if (hfName.equals(HF.output + suffix)) {
                return GGUF.output + suffix;
            }
            for (int l = 0; l < layers; l++) {
                for (Part part : Part.values()) {
                    String name = HF.layer(l, part);
                    if (hfName.equals(name)) {
                        return GGUF.layer(l, part);
                    }
                    if (hfName.equals(name + suffix)) {
                        return GGUF.layer(l, part) + suffix;
                    }
                }
            }
        }
        return null;
    }
}
