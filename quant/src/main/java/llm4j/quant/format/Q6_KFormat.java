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
 * ggml Q6_K: super-blocks of 256 values in 210 bytes = ql[128] (low 4 bits of each level), qh[64]
 * (high 2 bits), sixteen int8 scales (one per 16 values), fp16 d. Value = d·scale·(q − 32). Each
 * 128-value half uses 64 ql bytes and 32 qh bytes: value 32·g + l of the half takes the low (g < 2)
 * or high nibble of ql[l + 32·(g % 2)] and bits 2g..2g+1 of qh[l].
 */
public final class Q6_KFormat implements QuantFormat {

    public static final Q6_KFormat INSTANCE = new Q6_KFormat();

    static final int BLOCK_BYTES = 210;
    static final int QL = 0;
    static final int QH = 128;
    static final int SCALES = 192;
    static final int D = 208;

    private Q6_KFormat() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    static int scale(MemorySegment w, long blk, int sub) {
        return w.get(ValueLayout.JAVA_BYTE, blk + SCALES + sub);
    }

    /** The signed level q − 32 (−32..31) of value {@code e} of the super-block at {@code blk}. */
    static int level(MemorySegment w, long blk, int e) {
        int half = e / 128;
        int g = (e % 128) / 32;
        int l = e % 32;
        int low = u8(w, blk + QL + 64 * half + 32 * (g % 2) + l);
        low = g < 2 ? low & 0xF : low >> 4;
        int high = (u8(w, blk + QH + 32 * half + l) >> (2 * g)) & 3;
        return (low | (high << 4)) - 32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        int blocks = superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(src, blk + D);
            for (int half = 0; half < 2; half++) {
                long ql = blk + QL + 64 * half;
                long qh = blk + QH + 32 * half;
                int out = dstOffset + b * QK_K + 128 * half;
                int sub = 8 * half;
                for (int l = 0; l < 32; l++) {
                    int a = u8(src, ql + l);
                    int c = u8(src, ql + 32 + l);
                    int h = u8(src, qh + l);
                    int s = sub + l / 16;
                    // ggml multiplies d·scale first, then the level
                    dst[out + l] = d * scale(src, blk, s) * (((a & 0xF) | ((h & 3) << 4)) - 32);
                    dst[out + 32 + l] = d * scale(src, blk, s + 2) * (((c & 0xF) | (((h >> 2) & 3) << 4)) - 32);
                    dst[out + 64 + l] = d * scale(src, blk, s + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                    dst[out + 96 + l] = d * scale(src, blk, s + 6) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }

    /** In vector lanes (prefill decodes every weight once per batch), bit for bit {@link #dequantize}. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        Q6_KVector.dequantize(src, offset, dst, dstOffset, n);
    }

    /** Measured with Q4_K on the 1B Q4_K_M file, which is all Q4_K and Q6_K (see {@link Q4_KFormat#tiledMinBatch}). */
    @Override
    public int tiledMinBatch() {
        return 12;
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
            float maxAbsScale = 0;
            for (int sub = 0; sub < 16; sub++) {
                scales[sub] = KQuantSearch.symmetricSearch(16, 32, src, x + 16 * sub, levels, 16 * sub);
                float abs = Math.abs(scales[sub]);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scales[sub];
                }
            }
            if (maxAbsScale < 1e-15f) {
                dst.asSlice(blk, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            putHalf(dst, blk + D, 1 / iscale);
            for (int sub = 0; sub < 16; sub++) {
                dst.set(ValueLayout.JAVA_BYTE, blk + SCALES + sub, (byte) Math.min(127, nearestInt(iscale * scales[sub])));
            }
            // re-pick the levels against the stored (fp16 · int8) scales
            float dAll = half(dst, blk + D);
            for (int sub = 0; sub < 16; sub++) {
                float d = dAll * scale(dst, blk, sub);
                if (d == 0) {
                    continue;
                }
                for (int i = 0; i < 16; i++) {
                    levels[16 * sub + i] = clamp(nearestInt(src[x + 16 * sub + i] / d), -32, 31) + 32;
                }
            }
            pack(levels, dst, blk);
        }
    }

    private static void pack(int[] levels, MemorySegment dst, long blk) {
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l++) {
                int base = 128 * half + l;
                int q0 = levels[base];
                int q1 = levels[base + 32];
                int q2 = levels[base + 64];
                int q3 = levels[base + 96];
                dst.set(ValueLayout.JAVA_BYTE, blk + QL + 64 * half + l, (byte) ((q0 & 0xF) | ((q2 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, blk + QL + 64 * half + 32 + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, blk + QH + 32 * half + l,
                        (byte) ((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6)));
            }
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return Q6_KFormat::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return KVectors.W >= 8 ? Q6_KMantissaVector::dot : Q6_KVector::dot;
    }

    /**
     * 512 bits only. At 256 bits the wide pair loop was no faster than one row at a time (6.4-6.7 against 6.7
     * Gweights/s); at 128 bits (4-byte loads, four per sub-block) the paired loop was slower than one row at a
     * time (1.4 vs 2.2 Gweights/s), and a dot2 that calls {@link Q6_KVector#dot} twice got both copies inlined
     * and boxed (4.8 kB/row).
     */
    @Override
    public PairKernel vectorPairKernel() {
        return KVectors.W >= 8 ? Q6_KMantissaVector::dot2 : null;
    }

    /** The order {@link Q6_KMantissaVector} reads activations in, with each sub-block's Σx (256 and 512 bits). */
    @Override
    public ActivationLayout vectorLayout() {
        return KVectors.W >= 8 ? SixBitWordLayout.INSTANCE : null;
    }

    /** Σ w·x with every weight decoded on its own as d·scale·(q − 32); sums in double. */
    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = superBlocks(n);
        double sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            for (int e = 0; e < QK_K; e++) {
                float weight = d * scale(w, blk, e / 16) * level(w, blk, e);
                sum += (double) weight * x[xOffset + b * QK_K + e];
            }
        }
        return (float) sum;
    }
}
