package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian field access and C conversion semantics shared by the 32-element block formats. */
final class LegacyBlocks {

    /** Elements per block of every legacy quantized type. */
    static final int QK = 32;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LegacyBlocks() {
    }

    static float getHalf(MemorySegment seg, long offset) {
        return HalfFloats.f16ToFloat(seg.get(LE_SHORT, offset));
    }

    static void putHalf(MemorySegment seg, long offset, float value) {
        seg.set(LE_SHORT, offset, HalfFloats.floatToF16(value));
    }

    /**
     * C's float-to-integer conversion as x86 compilers emit it ({@code cvttss2si}): truncation
     * toward zero, and the "integer indefinite" value INT_MIN for NaN or out-of-range input where
     * Java would saturate. Narrowing the result to a byte then keeps its low 8 bits, like C does.
     */
    static int truncateLikeC(float f) {
        if (!(f > -2147483904f && f < 2147483648f)) {
            return Integer.MIN_VALUE;
        }
        return (int) f;
    }

    /** C's {@code roundf}: halfway cases away from zero (Java's Math.round rounds them up). */
    static float roundHalfAwayFromZero(float f) {
        float away = (float) Math.floor(Math.abs((double) f) + 0.5);
        return Math.copySign(away, f);
    }

    static void checkBlocks(int n) {
        if (n % QK != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the block size " + QK);
        }
    }
}
