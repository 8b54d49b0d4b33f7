package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.minK4;
import static llm4j.quant.format.KQuants.scaleK4;
import static llm4j.quant.format.KQuants.superBlocks;
import static llm4j.quant.format.KQuants.u8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import llm4j.quant.ActivationLayout;
import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;

/**
 * ggml Q4_K: super-blocks of 256 values in 144 bytes = fp16 d, fp16 dmin, 12 bytes of eight 6-bit
 * scales and mins (one pair per 32-value sub-block), 128 bytes of 4-bit levels. Value =
 * d·scale·q − dmin·min. Each 32 bytes of levels hold two sub-blocks: low nibbles the first,
 * high nibbles the second.
 */
public final class Q4_KFormat implements QuantFormat {

    public static final Q4_KFormat INSTANCE = new Q4_KFormat();

    static final int BLOCK_BYTES = 144;
    static final int D = 0;
    static final int DMIN = 2;
    static final int SCALES = 4;
    static final int QS = 16;

    private Q4_KFormat() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        int blocks = superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(src, blk + D);
            float dmin = half(src, blk + DMIN);
            int out = dstOffset + b * QK_K;
            for (int pair = 0; pair < 4; pair++) {
                float d1 = d * scaleK4(src, blk + SCALES, 2 * pair);
                float m1 = dmin * minK4(src, blk + SCALES, 2 * pair);
                float d2 = d * scaleK4(src, blk + SCALES, 2 * pair + 1);
                float m2 = dmin * minK4(src, blk + SCALES, 2 * pair + 1);
                long q = blk + QS + 32 * pair;
                for (int l = 0; l < 32; l++) {
                    int bits = u8(src, q + l);
                    dst[out + l] = d1 * (bits & 0xF) - m1;
                    dst[out + 32 + l] = d2 * (bits >> 4) - m2;
                }
                out += 64;
            }
        }
    }

    /** In vector lanes (prefill decodes every weight once per batch), bit for bit {@link #dequantize}. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q4_KVector.dequantize(src, offset, dst, dstOffset, n);
    }

    /**
     * Crossover with the pair kernels on the 1B Q4_K_M file (all Q4_K and Q6_K), at one thread and 512 bits: 16
     * tokens while the rows went through the older kernels (docs/performance.md, "Short prompts"), 24 since the
     * mantissa pair kernels (session 10: pp16 14.3-15.0 token by token against 12.5-12.9 tiled, pp20 14.5-14.7
     * against 12.9, pp24 14.0-14.7 against 17.1-17.4), 12 since session 11's vector Q6_K decoder, register
     * transposition and 4-token tile (pp8 11.6 against 12.5, pp10 13.8 against 12.6, pp12 15.4 against 16.4, pp14
     * 14.7 against 16.0, pp16 14.2 against 20.1; t=2 pp16 28.3 against 36.5). The last 1-3 tokens of a batch still go
     * one at a time, so the crossover is not a single point.
     */
    @Override
    public int tiledMinBatch() {
        return 12;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        int blocks = superBlocks(n);
        int[] levels = new int[QK_K];
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int x = srcOffset + b * QK_K;
            ScaleMinQuantizer.encode(src, x, 15, -1f, 0.1f, 20, levels, dst, blk);
            for (int pair = 0; pair < 4; pair++) {
                for (int l = 0; l < 32; l++) {
                    int lo = levels[64 * pair + l];
                    int hi = levels[64 * pair + 32 + l];
                    dst.set(ValueLayout.JAVA_BYTE, blk + QS + 32 * pair + l, (byte) (lo | (hi << 4)));
                }
            }
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q4_KFormat::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return Q4_KMantissaVector::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return Q4_KMantissaVector::dot2;
    }

    /** The order {@link Q4_KMantissaVector} reads activations in, with each sub-block's Σx. */
    @Override
    public ActivationLayout vectorLayout() {
        return NibbleWordLayout.INSTANCE;
    }

    /** The 4-bit level of value {@code e} (0..255) of the super-block at {@code blk}. */
    static int level(MemorySegment w, long blk, int e) {
        int bits = u8(w, blk + QS + 32 * (e / 64) + e % 32);
        return (e % 64) < 32 ? bits & 0xF : bits >> 4;
    }

    /** Σ w·x with every weight decoded on its own as d·scale·q − dmin·min; sums in double. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = superBlocks(n);
        double sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            float dmin = half(w, blk + DMIN);
            for (int e = 0; e < QK_K; e++) {
                int sub = e / 32;
                float weight = d * scaleK4(w, blk + SCALES, sub) * level(w, blk, e) - dmin * minK4(w, blk + SCALES, sub);
                sum += (double) weight * x[xOffset + b * QK_K + e];
            }
        }
        return (float) sum;
    }
}
