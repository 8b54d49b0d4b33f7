package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Pieces shared by ggml's K-quant formats: super-blocks of 256 values, fp16 block scales, ggml's
 * rounding, and the 6-bit scale/min packing of Q4_K and Q5_K.
 */
final class KQuants {

    /** Values per super-block (ggml's QK_K). */
    static final int QK_K = 256;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KQuants() {
    }

    /** Number of super-blocks in {@code n} values; rejects lengths ggml would reject. */
    static int superBlocks(int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + QK_K + "-value super-blocks");
        }
        return n / QK_K;
    }

    static float half(MemorySegment s, long offset) {
        return HalfFloats.f16ToFloat(s.get(LE_SHORT, offset));
    }

    /** Stores {@code v} as fp16, rounding to nearest even as ggml's GGML_FP32_TO_FP16 does. */
    static void putHalf(MemorySegment s, long offset, float v) {
        s.set(LE_SHORT, offset, HalfFloats.floatToF16(v));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /**
     * ggml's nearest_int: adding 1.5·2^23 leaves round-half-even(v) in the low mantissa bits. Written
     * the same way (not Math.rint) so even out-of-range inputs give ggml's integers.
     */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007FFFFF) - 0x00400000;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * The 6-bit scale of sub-block {@code j} (0..7) of a Q4_K/Q5_K super-block whose 12 packed scale
     * bytes start at {@code scales} (ggml's get_scale_min_k4): sub-blocks 0..3 keep it in the low 6
     * bits of byte j; 4..7 split it into the low nibble of byte j+4 and the top 2 bits of byte j-4.
     */
    static int scaleK4(MemorySegment s, long scales, int j) {
        if (j < 4) {
            return u8(s, scales + j) & 63;
        }
        return (u8(s, scales + j + 4) & 0xF) | ((u8(s, scales + j - 4) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}, packed beside the scales (see {@link #scaleK4}). */
    static int minK4(MemorySegment s, long scales, int j) {
        if (j < 4) {
            return u8(s, scales + j + 4) & 63;
        }
        return (u8(s, scales + j + 4) >> 4) | ((u8(s, scales + j) >> 6) << 4);
    }

    /** Packs 8 six-bit scales and mins into the 12-byte layout {@link #scaleK4} reads. */
    static void packScalesK4(int[] scales, int[] mins, MemorySegment dst, long offset) {
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = scales[j];
            int lm = mins[j];
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls >> 4) << 6);
                packed[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, offset, 12);
    }

    /**
     * The signed 6-bit scale of sub-block {@code j} (0..15) of a Q3_K super-block: the low nibble of
     * byte j (j < 8) or the high nibble of byte j-8, plus 2 high bits from byte 8 + j%4 at bit
     * 2·(j/4); stored with a +32 bias.
     */
    static int scaleQ3(MemorySegment s, long scales, int j) {
        int low = j < 8 ? u8(s, scales + j) & 0xF : u8(s, scales + j - 8) >> 4;
        int high = (u8(s, scales + 8 + (j & 3)) >> (2 * (j >> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /**
     * Packs 256 levels of 0..3 into 64 bytes as Q2_K and Q3_K store them: each 128-value half uses
     * 32 bytes, value 32·g + l of the half sitting in bits 2g..2g+1 of byte l.
     */
    static void pack2Bit(int[] levels, MemorySegment dst, long offset) {
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l++) {
                int base = 128 * half + l;
                int b = levels[base] | (levels[base + 32] << 2) | (levels[base + 64] << 4) | (levels[base + 96] << 6);
                dst.set(ValueLayout.JAVA_BYTE, offset + 32 * half + l, (byte) b);
            }
        }
    }
}
