package llm4j.quant.format;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.format.LegacyBlocks.QK;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.PairKernel;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.Q8_0Kernel;

/** Q8_0: per 32 values an fp16 scale d and 32 signed bytes q; value = q·d. */
public final class Q8_0Format implements QuantFormat {

    public static final Q8_0Format INSTANCE = new Q8_0Format();

    static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES) {
            float d = LegacyBlocks.getHalf(src, offset);
            for (int j = 0; j < QK; j++) {
                dst[dstOffset++] = src.get(JAVA_BYTE, offset + QS + j) * d;
            }
        }
    }

    /** Scale from the largest magnitude so it maps to ±127; values rounded half away from zero. */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        LegacyBlocks.checkBlocks(n);
        for (int b = 0; b < n / QK; b++, srcOffset += QK, offset += BLOCK_BYTES) {
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float a = Math.abs(src[srcOffset + j]);
                amax = amax > a ? amax : a; // C's MAX macro, NaN behaviour included
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            LegacyBlocks.putHalf(dst, offset, d);
            for (int j = 0; j < QK; j++) {
                float scaled = src[srcOffset + j] * id;
                int q = LegacyBlocks.truncateLikeC(LegacyBlocks.roundHalfAwayFromZero(scaled));
                dst.set(JAVA_BYTE, offset + QS + j, (byte) q);
            }
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q8_0Format::dotScalar;
    }

    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q8_0Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public RowKernel vectorKernel() {
        return Q8_0Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q8_0Kernel::dot2;
    }

    /** Σ (q·d)·x, block by block, in the order the values are stored. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacyBlocks.checkBlocks(n);
        float sum = 0f;
        for (int b = 0; b < n / QK; b++, offset += BLOCK_BYTES) {
            float d = LegacyBlocks.getHalf(w, offset);
            for (int j = 0; j < QK; j++) {
                float weight = w.get(JAVA_BYTE, offset + QS + j) * d;
                sum += weight * x[xOffset++];
            }
        }
        return sum;
    }

    /**
     * Crossover with the pair kernels: 24 tokens before session 11's register transposition and 4-token tile, 12
     * since (135M Q8_0, t=1, 512 bits: pp8 133 token by token against 133 tiled, pp10 146 against 134, pp12 147
     * against 181, pp16 153 against 214).
     */
    @Override
    public int tiledMinBatch() {
        return 12;
    }
}
