package llm4j.quant.format;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

import llm4j.quant.ActivationLayout;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.PairKernel;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.Q4_0Kernel;

/**
 * Q4_0: per 32 values an fp16 scale d and 16 bytes of 4-bit codes q; value = (q - 8)·d. Byte j
 * holds element j in its low nibble and element j + 16 in its high nibble.
 */
public final class Q4_0Format implements QuantFormat {

    public static final Q4_0Format INSTANCE = new Q4_0Format();

    static final int BLOCK_BYTES = 18;
    private static final int QS = 2;

    private Q4_0Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, dstOffset += QK) {
            float d = LegacyBlocks.getHalf(src, offset);
            for (int j = 0; j < QK / 2; j++) {
                int packed = src.get(JAVA_BYTE, offset + QS + j);
                dst[dstOffset + j] = ((packed & 0x0F) - 8) * d;
                dst[dstOffset + j + QK / 2] = (((packed >> 4) & 0x0F) - 8) * d;
            }
        }
    }

    /**
     * The scale is the signed value of largest magnitude divided by -8, so that value lands on
     * code 0 exactly; the other values are rounded by truncating {@code x/d + 8.5}, capped at 15.
     */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        LegacyBlocks.checkBlocks(n);
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
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            LegacyBlocks.putHalf(dst, offset, d);
            for (int j = 0; j < QK / 2; j++) {
                int lo = code(src[srcOffset + j] * id);
                int hi = code(src[srcOffset + j + QK / 2] * id);
                dst.set(JAVA_BYTE, offset + QS + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** {@code MIN(15, (int8_t)(scaled + 8.5f))} stored into a uint8_t. */
    private static int code(float scaled) {
        byte truncated = (byte) LegacyBlocks.truncateLikeC(scaled + 8.5f);
        return Math.min(15, truncated) & 0xFF;
    }

    @Override
    public RowKernel scalarKernel() {
        return Q4_0Format::dotScalar;
    }

    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q4_0Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public RowKernel vectorKernel() {
        return Q4_0MantissaVector::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q4_0MantissaVector::dot2;
    }

    @Override
    public ActivationLayout vectorLayout() {
        return NibbleBlockLayout.INSTANCE;
    }

    /** Σ ((q - 8)·d)·x in element order. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES, xOffset += QK) {
            float d = LegacyBlocks.getHalf(w, offset);
            for (int j = 0; j < QK; j++) {
                int packed = w.get(JAVA_BYTE, offset + QS + (j % 16));
                int q = (j < 16 ? packed : packed >> 4) & 0x0F;
                sum += ((q - 8) * d) * x[xOffset + j];
            }
        }
        return sum;
    }

    /**
     * Crossover with the pair kernels: 24 tokens with the per-block kernel, 32 since the mantissa kernel (1B Q4_0,
     * t=1, 512 bits: pp24 20.3 through the pairs against 18.1 tiled, pp32 20.5 against 20.8, pp48 20.4 against 25.2),
     * 20 since session 11's register transposition and 4-token tile (pp16 21.3 against 20.5, pp20 21.7 against 24.1,
     * pp24 21.8 against 24.9; t=2 pp24 41.6 against 46.3).
     */
    @Override
    public int tiledMinBatch() {
        return 20;
    }
}
