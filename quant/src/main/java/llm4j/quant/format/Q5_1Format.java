package llm4j.quant.format;

import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.Q5_1Kernel;

/**
 * Q5_1: per 32 values an fp16 scale d, an fp16 offset m, a 32-bit word qh of fifth bits and 16
 * bytes of low nibbles (layout in {@link FiveBitCodes}); value = q·d + m.
 */
public final class Q5_1Format implements QuantFormat {

    public static final Q5_1Format INSTANCE = new Q5_1Format();

    static final int BLOCK_BYTES = 24;
    private static final int M = 2;
    private static final int QH = 4;
    private static final int QS = 8;

    private Q5_1Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            float d = LegacyBlocks.getHalf(src, offset);
            float m = LegacyBlocks.getHalf(src, offset + M);
            int qh = FiveBitCodes.highBits(src, offset + QH);
            for (int j = 0; j < QK; j++) {
                dst[dstOffset + j] = FiveBitCodes.code(src, offset + QS, qh, j) * d + m;
            }
        }
    }

    /** In vector lanes: prefill decodes every weight once per batch. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q5_1Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    /**
     * Crossover with the per-row kernels since session 11's vector panel decoder (135M Q5_1, t=1, 512 bits: pp8 58
     * token by token against 97 tiled, pp12 85 against 164).
     */
    @Override
    public int tiledMinBatch() {
        return 8;
    }

    /**
     * Codes span [min, max] in 31 steps: {@code (uint8_t)((x - min)/d + 0.5f)}. Unlike Q4_1 ggml
     * applies no cap here, so only the low five bits of the truncated value are stored.
     */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        LegacyBlocks.checkBlocks(n);
        int[] codes = new int[QK];
        for (int b = 0; b < n / QK; b++, srcOffset += QK, offset += BLOCK_BYTES) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[srcOffset + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / 31f;
            float id = d != 0f ? 1f / d : 0f;
            LegacyBlocks.putHalf(dst, offset, d);
            LegacyBlocks.putHalf(dst, offset + M, min);
            for (int j = 0; j < QK; j++) {
                float scaled = (src[srcOffset + j] - min) * id;
                codes[j] = LegacyBlocks.truncateLikeC(scaled + 0.5f) & 0xFF;
            }
            FiveBitCodes.pack(codes, dst, offset + QH, offset + QS);
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q5_1Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return Q5_1Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q5_1Kernel::dot2;
    }

    /** Σ (q·d + m)·x in element order. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, xOffset += QK) {
            float d = LegacyBlocks.getHalf(w, offset);
            float m = LegacyBlocks.getHalf(w, offset + M);
            int qh = FiveBitCodes.highBits(w, offset + QH);
            for (int j = 0; j < QK; j++) {
                sum += (FiveBitCodes.code(w, offset + QS, qh, j) * d + m) * x[xOffset + j];
            }
        }
        return sum;
    }
}
