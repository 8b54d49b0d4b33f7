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
 * ggml Q5_K: super-blocks of 256 values in 176 bytes = fp16 d, fp16 dmin, 12 bytes of 6-bit
 * scales and mins (as Q4_K), qh[32], qs[128]. Value = d·scale·q − dmin·min with a 5-bit q: the low
 * 4 bits are stored as in Q4_K, the fifth bit of value e is bit e/32 of qh[e % 32].
 */
public final class Q5_KFormat implements QuantFormat {

    public static final Q5_KFormat INSTANCE = new Q5_KFormat();

    static final int BLOCK_BYTES = 176;
    static final int D = 0;
    static final int DMIN = 2;
    static final int SCALES = 4;
    static final int QH = 16;
    static final int QS = 48;

    private Q5_KFormat() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    /** The 5-bit level of value {@code e} (0..255) of the super-block at {@code blk}. */
    static int level(MemorySegment w, long blk, int e) {
        int bits = u8(w, blk + QS + 32 * (e / 64) + e % 32);
        int low = (e % 64) < 32 ? bits & 0xF : bits >> 4;
        int high = (u8(w, blk + QH + e % 32) >> (e / 32)) & 1;
        return low | (high << 4);
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
                    int h = u8(src, blk + QH + l) >> (2 * pair);
                    dst[out + l] = d1 * ((bits & 0xF) | ((h & 1) << 4)) - m1;
                    dst[out + 32 + l] = d2 * ((bits >> 4) | ((h & 2) << 3)) - m2;
                }
                out += 64;
            }
        }
    }

    /** In vector lanes (prefill decodes every weight once per batch), bit for bit {@link #dequantize}. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q5_KVector.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        int blocks = superBlocks(n);
        int[] levels = new int[QK_K];
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            ScaleMinQuantizer.encode(src, srcOffset + b * QK_K, 31, -0.5f, 0.1f, 15, levels, dst, blk);
            byte[] qh = new byte[32];
            for (int pair = 0; pair < 4; pair++) {
                for (int l = 0; l < 32; l++) {
                    int lo = levels[64 * pair + l];
                    int hi = levels[64 * pair + 32 + l];
                    qh[l] |= (byte) (((lo >> 4) << (2 * pair)) | ((hi >> 4) << (2 * pair + 1)));
                    dst.set(ValueLayout.JAVA_BYTE, blk + QS + 32 * pair + l, (byte) ((lo & 0xF) | ((hi & 0xF) << 4)));
                }
            }
            MemorySegment.copy(qh, 0, dst, ValueLayout.JAVA_BYTE, blk + QH, 32);
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q5_KFormat::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return Q5_KMantissaVector::dot;
    }

    /** {@link Q5_KMantissaVector}'s activation order, with each sub-block's Σx. */
    @Override
    public ActivationLayout vectorLayout() {
        return NibbleWordLayout.INSTANCE;
    }

    /**
     * The mantissa kernel's pairs at every width (session 12 added 512 bits, where {@link Q5_KVector}'s byte-lane pair
     * loop had run; docs/kernels-kquants.md).
     */
    @Override
    public PairKernel vectorPairKernel() {
        return Q5_KMantissaVector::dot2;
    }

    /**
     * Batches from 12 tokens go through the tile. Measured on the 1B Q5_K file after session 12's pair kernel (t=1,
     * tokens/s, token by token against tiled): pp8 12.6 against 11.9, pp12 13.2 against 19.8, pp16 12.4 against 18.4.
     */
    @Override
    public int tiledMinBatch() {
        return 12;
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
