package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.clamp;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.nearestInt;
import static llm4j.quant.format.KQuants.putHalf;
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
 * ggml Q2_K: super-blocks of 256 values in 84 bytes = sixteen scale bytes (4-bit scale low, 4-bit
 * min high, one per 16 values), qs[64], fp16 d, fp16 dmin. Value = d·scale·q − dmin·min with
 * q in 0..3; value 32·g + l of each 128-value half sits in bits 2g..2g+1 of byte l of that half's
 * 32 bytes.
 */
public final class Q2_KFormat implements QuantFormat {

    public static final Q2_KFormat INSTANCE = new Q2_KFormat();

    static final int BLOCK_BYTES = 84;
    static final int SCALES = 0;
    static final int QS = 16;
    static final int D = 80;
    static final int DMIN = 82;

    private Q2_KFormat() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    /** The 2-bit level of value {@code e} of the super-block at {@code blk}. */
    static int level(MemorySegment w, long blk, int e) {
        return (u8(w, blk + QS + 32 * (e / 128) + e % 32) >> (2 * ((e % 128) / 32))) & 3;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        int blocks = superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(src, blk + D);
            float dmin = half(src, blk + DMIN);
            for (int sub = 0; sub < 16; sub++) {
                int sc = u8(src, blk + SCALES + sub);
                float dl = d * (sc & 0xF);
                float ml = dmin * (sc >> 4);
                // sub-block s covers values 16s..16s+15: half s/8, bit pair (s%8)/2, bytes 16·(s%2)..
                long q = blk + QS + 32 * (sub / 8) + 16 * (sub % 2);
                int shift = 2 * ((sub % 8) / 2);
                int out = dstOffset + b * QK_K + 16 * sub;
                for (int l = 0; l < 16; l++) {
                    dst[out + l] = dl * ((u8(src, q + l) >> shift) & 3) - ml;
                }
            }
        }
    }

    /** In vector lanes (prefill decodes every weight once per batch), bit for bit {@link #dequantize}. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q2_KVector.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        int blocks = superBlocks(n);
        int[] levels = new int[QK_K];
        float[] scales = new float[16];
        float[] mins = new float[16];
        float[] weights = new float[16];
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int x = srcOffset + b * QK_K;
            float maxScale = 0;
            float maxMin = 0;
            for (int sub = 0; sub < 16; sub++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(src[x + 16 * sub + l]);
                }
                scales[sub] = KQuantSearch.asymmetricSearch(16, 3, src, x + 16 * sub, weights, levels, 16 * sub,
                        mins, sub, -0.5f, 0.1f, 15, true);
                if (scales[sub] > maxScale) {
                    maxScale = scales[sub];
                }
                if (mins[sub] > maxMin) {
                    maxMin = mins[sub];
                }
            }
            int[] packed = new int[16];
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int sub = 0; sub < 16; sub++) {
                    packed[sub] = nearestInt(iscale * scales[sub]) & 0xFF;
                }
            }
            putHalf(dst, blk + D, maxScale > 0 ? maxScale / 15f : 0f);
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int sub = 0; sub < 16; sub++) {
                    packed[sub] = (packed[sub] | (nearestInt(iscale * mins[sub]) << 4)) & 0xFF;
                }
            }
            putHalf(dst, blk + DMIN, maxMin > 0 ? maxMin / 15f : 0f);
            for (int sub = 0; sub < 16; sub++) {
                dst.set(ValueLayout.JAVA_BYTE, blk + SCALES + sub, (byte) packed[sub]);
            }

            // re-pick the levels against the stored scales
            float dAll = half(dst, blk + D);
            float mAll = half(dst, blk + DMIN);
            for (int sub = 0; sub < 16; sub++) {
                float d = dAll * (packed[sub] & 0xF);
                if (d == 0) {
                    continue;
                }
                float dm = mAll * (packed[sub] >> 4);
                for (int i = 0; i < 16; i++) {
                    levels[16 * sub + i] = clamp(nearestInt((src[x + 16 * sub + i] + dm) / d), 0, 3);
                }
            }
            KQuants.pack2Bit(levels, dst, blk + QS);
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q2_KFormat::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return KVectors.W >= 8 ? Q2_KMantissaVector::dot : Q2_KVector::dot;
    }

    /** From 256 bits {@link Q2_KMantissaVector}'s activation order (Q6_K's), with each sub-block's Σx. */
    @Override
    public ActivationLayout vectorLayout() {
        return KVectors.W >= 8 ? SixBitWordLayout.INSTANCE : null;
    }

    /** From 256 bits the mantissa kernel's pairs (session 12); at 128 bits {@link Q2_KVector}'s. */
    @Override
    public PairKernel vectorPairKernel() {
        return KVectors.W >= 8 ? Q2_KMantissaVector::dot2 : Q2_KVector::dot2;
    }

    /**
     * Batches from 16 tokens go through the tile. Measured on the 1B Q2_K file after session 12's pair kernel (t=1,
     * tokens/s, token by token against tiled): pp12 17.7 against 16.1, pp16 19.1 against 19.7, pp24 18.1 against 23.7.
     */
    @Override
    public int tiledMinBatch() {
        return 16;
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
                int sc = u8(w, blk + SCALES + e / 16);
                float weight = d * (sc & 0xF) * level(w, blk, e) - dmin * (sc >> 4);
                sum += (double) weight * x[xOffset + b * QK_K + e];
            }
        }
        return (float) sum;
    }
}
