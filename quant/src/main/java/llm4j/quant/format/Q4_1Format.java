package llm4j.quant.format;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.Q4_1Kernel;

/**
 * Q4_1: per 32 values an fp16 scale d, an fp16 offset m and 16 bytes of 4-bit codes q;
 * value = q·d + m. Nibble order as in Q4_0.
 */
public final class Q4_1Format implements QuantFormat {

    public static final Q4_1Format INSTANCE = new Q4_1Format();

    static final int BLOCK_BYTES = 20;
    private static final int M = 2;
    private static final int QS = 4;

    private Q4_1Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            float d = LegacyBlocks.getHalf(src, offset);
            float m = LegacyBlocks.getHalf(src, offset + M);
            for (int j = 0; j < QK / 2; j++) {
                int packed = src.get(JAVA_BYTE, offset + QS + j);
                dst[dstOffset + j] = (packed & 0x0F) * d + m;
                dst[dstOffset + j + QK / 2] = ((packed >> 4) & 0x0F) * d + m;
            }
        }
    }

    /** In vector lanes: prefill decodes every weight once per batch. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q4_1Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    /**
     * Crossover with the per-row kernels since session 11's vector panel decoder (135M Q4_1, t=1, 512 bits: pp8 99
     * token by token against 135 tiled, pp12 109 against 187).
     */
    @Override
    public int tiledMinBatch() {
        return 8;
    }

    /** Codes span [min, max] in 15 steps; {@code (x - min)/d + 0.5} truncated, capped at 15. */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        LegacyBlocks.checkBlocks(n);
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
            float d = (max - min) / 15f;
            float id = d != 0f ? 1f / d : 0f;
            LegacyBlocks.putHalf(dst, offset, d);
            LegacyBlocks.putHalf(dst, offset + M, min);
            for (int j = 0; j < QK / 2; j++) {
                int lo = code((src[srcOffset + j] - min) * id);
                int hi = code((src[srcOffset + j + QK / 2] - min) * id);
                dst.set(JAVA_BYTE, offset + QS + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** {@code MIN(15, (int8_t)(scaled + 0.5f))} stored into a uint8_t. */
    private static int code(float scaled) {
        byte truncated = (byte) LegacyBlocks.truncateLikeC(scaled + 0.5f);
        return Math.min(15, truncated) & 0xFF;
    }

    @Override
    public RowKernel scalarKernel() {
        return Q4_1Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return Q4_1Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q4_1Kernel::dot2;
    }

    /** Σ (q·d + m)·x in element order. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, xOffset += QK) {
            float d = LegacyBlocks.getHalf(w, offset);
            float m = LegacyBlocks.getHalf(w, offset + M);
            for (int j = 0; j < QK; j++) {
                int packed = w.get(JAVA_BYTE, offset + QS + (j % 16));
                int q = (j < 16 ? packed : packed >> 4) & 0x0F;
                sum += (q * d + m) * x[xOffset + j];
            }
        }
        return sum;
    }
}
