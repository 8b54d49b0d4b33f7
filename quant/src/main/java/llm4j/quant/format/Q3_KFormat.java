package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.clamp;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.nearestInt;
import static llm4j.quant.format.KQuants.putHalf;
import static llm4j.quant.format.KQuants.scaleQ3;
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
 * ggml Q3_K: super-blocks of 256 values in 110 bytes = hmask[32], qs[64], 12 bytes of sixteen
 * signed 6-bit scales (see {@link KQuants#scaleQ3}), fp16 d. Value = d·scale·(q − 4): the low 2
 * bits of q are packed as in Q2_K, the third bit of value e is bit e/32 of hmask[e % 32].
 */
public final class Q3_KFormat implements QuantFormat {

    public static final Q3_KFormat INSTANCE = new Q3_KFormat();

    static final int BLOCK_BYTES = 110;
    static final int HMASK = 0;
    static final int QS = 32;
    static final int SCALES = 96;
    static final int D = 108;

    private Q3_KFormat() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    /** The signed level q − 4 (−4..3) of value {@code e} of the super-block at {@code blk}. */
    static int level(MemorySegment w, long blk, int e) {
        int low = (u8(w, blk + QS + 32 * (e / 128) + e % 32) >> (2 * ((e % 128) / 32))) & 3;
        int high = (u8(w, blk + HMASK + e % 32) >> (e / 32)) & 1;
        return (low | (high << 2)) - 4;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        int blocks = superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(src, blk + D);
            for (int half = 0; half < 2; half++) {
                for (int g = 0; g < 4; g++) {
                    int out = dstOffset + b * QK_K + 128 * half + 32 * g;
                    int bit = 4 * half + g;
                    float d1 = d * scaleQ3(src, blk + SCALES, 8 * half + 2 * g);
                    float d2 = d * scaleQ3(src, blk + SCALES, 8 * half + 2 * g + 1);
                    for (int l = 0; l < 32; l++) {
                        int low = (u8(src, blk + QS + 32 * half + l) >> (2 * g)) & 3;
                        int high = (u8(src, blk + HMASK + l) >> bit) & 1;
                        // ggml subtracts 4 where the mask bit is clear
                        dst[out + l] = (l < 16 ? d1 : d2) * (low - (high != 0 ? 0 : 4));
                    }
                }
            }
        }
    }

    /** In vector lanes (prefill decodes every weight once per batch), bit for bit {@link #dequantize}. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q3_KVector.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        int blocks = superBlocks(n);
        int[] levels = new int[QK_K];
        float[] scales = new float[16];
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int x = srcOffset + b * QK_K;
            float maxScale = 0;
            float amax = 0;
            for (int sub = 0; sub < 16; sub++) {
                scales[sub] = KQuantSearch.q3Search(16, 4, src, x + 16 * sub, levels, 16 * sub);
                float abs = Math.abs(scales[sub]);
                if (abs > amax) {
                    amax = abs;
                    maxScale = scales[sub];
                }
            }
            byte[] packed = new byte[12];
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int sub = 0; sub < 16; sub++) {
                    // ggml keeps the rounded scale in an int8_t before clamping it to the 6-bit range
                    int l = clamp((byte) nearestInt(iscale * scales[sub]), -32, 31) + 32;
                    if (sub < 8) {
                        packed[sub] = (byte) (l & 0xF);
                    } else {
                        packed[sub - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    packed[8 + sub % 4] |= (byte) ((l >> 4) << (2 * (sub / 4)));
                }
                putHalf(dst, blk + D, 1 / iscale);
            } else {
                putHalf(dst, blk + D, 0f);
            }
            MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, blk + SCALES, 12);

            // re-pick the levels against the stored scales
            float dAll = half(dst, blk + D);
            for (int sub = 0; sub < 16; sub++) {
                float d = dAll * scaleQ3(dst, blk + SCALES, sub);
                if (d == 0) {
                    continue;
                }
                for (int i = 0; i < 16; i++) {
                    levels[16 * sub + i] = clamp(nearestInt(src[x + 16 * sub + i] / d), -4, 3) + 4;
                }
            }
            byte[] hmask = new byte[32];
            for (int e = 0; e < QK_K; e++) {
                if (levels[e] > 3) {
                    hmask[e % 32] |= (byte) (1 << (e / 32));
                    levels[e] -= 4;
                }
            }
            MemorySegment.copy(hmask, 0, dst, ValueLayout.JAVA_BYTE, blk + HMASK, 32);
            KQuants.pack2Bit(levels, dst, blk + QS);
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q3_KFormat::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return KVectors.W >= 8 ? Q3_KMantissaVector::dot : Q3_KVector::dot;
    }

    /** From 256 bits {@link Q3_KMantissaVector}'s activation order (Q6_K's), with each sub-block's Σx. */
    @Override
    public ActivationLayout vectorLayout() {
        return KVectors.W >= 8 ? SixBitWordLayout.INSTANCE : null;
    }

    /**
     * From 256 bits the mantissa kernel's pairs (session 12). At 128 bits none: the byte-lane pair loop boxed (72 B/row)
     * and ran at half the speed of one row at a time.
     */
    @Override
    public PairKernel vectorPairKernel() {
        return KVectors.W >= 8 ? Q3_KMantissaVector::dot2 : null;
    }

    /**
     * Batches from 12 tokens go through the tile. Measured on the 1B Q3_K file after session 12's pair kernel (t=1,
     * tokens/s, token by token against tiled): pp8 13.8 against 11.5, pp12 16.1 against 16.5, pp16 16.0 against 18.1,
     * pp24 15.3 against 22.7.
     */
    @Override
    public int tiledMinBatch() {
        return 12;
    }

    /** Σ w·x with every weight decoded on its own as d·scale·(q − 4); sums in double. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = superBlocks(n);
        double sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            for (int e = 0; e < QK_K; e++) {
                float weight = d * scaleQ3(w, blk + SCALES, e / 16) * level(w, blk, e);
                sum += (double) weight * x[xOffset + b * QK_K + e];
            }
        }
        return (float) sum;
    }
}
