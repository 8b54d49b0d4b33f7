package llm4j.quant.format;

import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.Q5_0Kernel;

/**
 * Q5_0: per 32 values an fp16 scale d, a 32-bit word qh of fifth bits and 16 bytes of low
 * nibbles (layout in {@link FiveBitCodes}); value = (q - 16)·d.
 */
public final class Q5_0Format implements QuantFormat {

    public static final Q5_0Format INSTANCE = new Q5_0Format();

    static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;

    private Q5_0Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            float d = LegacyBlocks.getHalf(src, offset);
            int qh = FiveBitCodes.highBits(src, offset + QH);
            for (int j = 0; j < QK; j++) {
                dst[dstOffset + j] = (FiveBitCodes.code(src, offset + QS, qh, j) - 16) * d;
            }
        }
    }

    /** In vector lanes: prefill decodes every weight once per batch. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q5_0Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    /** As Q4_0 with 32 levels: d = signed max / -16, codes {@code MIN(31, (int8_t)(x/d + 16.5f))}. */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        LegacyBlocks.checkBlocks(n);
        int[] codes = new int[QK];
        for (int b = 0; b < n / QK; b++, srcOffset += QK, offset += BLOCK_BYTES) {
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = src[srcOffset + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16f;
            float id = d != 0f ? 1f / d : 0f;
            LegacyBlocks.putHalf(dst, offset, d);
            for (int j = 0; j < QK; j++) {
                float scaled = src[srcOffset + j] * id;
                byte truncated = (byte) LegacyBlocks.truncateLikeC(scaled + 16.5f);
                codes[j] = Math.min(31, truncated) & 0xFF;
            }
            FiveBitCodes.pack(codes, dst, offset + QH, offset + QS);
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q5_0Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return Q5_0Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q5_0Kernel::dot2;
    }

    /** Σ ((q - 16)·d)·x in element order. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, xOffset += QK) {
            float d = LegacyBlocks.getHalf(w, offset);
            int qh = FiveBitCodes.highBits(w, offset + QH);
            for (int j = 0; j < QK; j++) {
                sum += ((FiveBitCodes.code(w, offset + QS, qh, j) - 16) * d) * x[xOffset + j];
            }
        }
        return sum;
    }

    /**
     * Crossover with the pair kernels measured between 12 and 16 tokens on the 135M Q4_K_M file (mostly Q5_0) once the
     * panel decode ran in vector lanes (pp16 98–111 tiled against 91–94 token by token; docs/performance.md).
     */
    @Override
    public int tiledMinBatch() {
        return 16;
    }
}
