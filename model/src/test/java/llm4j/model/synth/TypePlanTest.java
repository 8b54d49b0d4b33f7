package llm4j.model.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import llm4j.quant.GgmlType;
import org.junit.jupiter.api.Test;

class TypePlanTest {

    private static GgmlType type(SynthType t, SynthShape s, String name, long cols, long rows, int layer) {
        return new TypePlan(t, s.layers()).typeOf(name, new long[] {cols, rows}, layer);
    }

    /** Layers llama-quantize gives more bits in a 16-layer model: first and last two, then every third. */
    @Test
    void useMoreBitsMatchesLlamaQuantizeFor16And30Layers() {
        assertEquals(List.of(0, 1, 4, 7, 10, 13, 14, 15), moreBits(16));
        // 30 layers: 30/8 = 3, 7*30/8 = 26
        assertEquals(List.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29), moreBits(30));
    }

    private static List<Integer> moreBits(int layers) {
        List<Integer> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (TypePlan.useMoreBits(l, layers)) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void q4KmOnLlama1BShape() {
        SynthShape s = SynthShape.LLAMA_32_1B;
        SynthType t = SynthType.Q4_K_M;
        assertEquals(GgmlType.Q6_K, type(t, s, "token_embd.weight", 2048, 49152, -1));
        assertEquals(GgmlType.Q6_K, type(t, s, "blk.0.attn_v.weight", 2048, 512, 0));
        assertEquals(GgmlType.Q4_K, type(t, s, "blk.2.attn_v.weight", 2048, 512, 2));
        assertEquals(GgmlType.Q6_K, type(t, s, "blk.4.ffn_down.weight", 8192, 2048, 4));
        assertEquals(GgmlType.Q4_K, type(t, s, "blk.5.ffn_down.weight", 8192, 2048, 5));
        assertEquals(GgmlType.Q4_K, type(t, s, "blk.0.attn_output.weight", 2048, 2048, 0));
        assertEquals(GgmlType.Q4_K, type(t, s, "blk.0.ffn_up.weight", 2048, 8192, 0));
        assertEquals(GgmlType.F32, new TypePlan(t, 16).typeOf("blk.0.attn_norm.weight", new long[] {2048}, 0));
    }

    /** SmolLM2's 576-wide rows take llama-quantize's fallbacks: Q4_K → Q5_0, Q6_K → Q8_0. */
    @Test
    void q4KmOnSmolLm2ShapeFallsBackLikeLlamaQuantize() {
        SynthShape s = SynthShape.SMOLLM2_135M;
        SynthType t = SynthType.Q4_K_M;
        assertEquals(GgmlType.Q8_0, type(t, s, "token_embd.weight", 576, 49152, -1));
        assertEquals(GgmlType.Q8_0, type(t, s, "blk.0.attn_v.weight", 576, 192, 0));
        assertEquals(GgmlType.Q5_0, type(t, s, "blk.3.attn_v.weight", 576, 192, 3));
        assertEquals(GgmlType.Q5_0, type(t, s, "blk.3.attn_q.weight", 576, 576, 3));
        assertEquals(GgmlType.Q6_K, type(t, s, "blk.0.ffn_down.weight", 1536, 576, 0));
        assertEquals(GgmlType.Q4_K, type(t, s, "blk.3.ffn_down.weight", 1536, 576, 3));
    }

    @Test
    void pureTypesKeepOneTypeExceptWhereRowsForbidIt() {
        SynthShape s = SynthShape.SMOLLM2_135M;
        assertEquals(GgmlType.Q4_0, type(SynthType.Q4_0, s, "token_embd.weight", 576, 49152, -1));
        assertEquals(GgmlType.Q8_0, type(SynthType.Q8_0, s, "blk.0.attn_v.weight", 576, 192, 0));
        assertEquals(GgmlType.BF16, type(SynthType.BF16, s, "blk.0.attn_v.weight", 576, 192, 0));
        assertEquals(GgmlType.Q6_K, type(SynthType.Q6_K, s, "blk.0.ffn_down.weight", 1536, 576, 0));
        assertEquals(GgmlType.Q8_0, type(SynthType.Q6_K, s, "blk.0.ffn_up.weight", 576, 1536, 0));
        assertEquals(GgmlType.Q5_1, type(SynthType.Q5_K, s, "blk.0.ffn_up.weight", 576, 1536, 0));
        assertEquals(GgmlType.Q4_0, type(SynthType.Q2_K, s, "blk.0.ffn_up.weight", 576, 1536, 0));
        assertEquals(GgmlType.Q4_0, type(SynthType.Q3_K, s, "blk.0.ffn_up.weight", 576, 1536, 0));
        assertEquals(GgmlType.F16, type(SynthType.Q4_0, s, "blk.0.odd.weight", 172, 64, 0));
        assertEquals(GgmlType.F32, type(SynthType.F32, s, "blk.0.ffn_up.weight", 576, 1536, 0));
    }
}
