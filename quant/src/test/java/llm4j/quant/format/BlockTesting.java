package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Test helpers for the 32-element block formats. */
final class BlockTesting {

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BlockTesting() {
    }

    /** Random bytes for every block, then the fp16 fields at {@code halfFields} replaced by sane finite scales. */
    static void fillBlocks(Random rnd, MemorySegment seg, long offset, int n, int blockBytes, int... halfFields) {
        byte[] raw = new byte[(n / 32) * blockBytes];
        rnd.nextBytes(raw);
        MemorySegment.copy(MemorySegment.ofArray(raw), 0, seg, offset, raw.length);
        for (int b = 0; b < n / 32; b++) {
            for (int field : halfFields) {
                float scale = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(12) - 8));
                seg.set(LE_SHORT, offset + (long) b * blockBytes + field, Float.floatToFloat16(scale));
            }
        }
    }

    static float half(MemorySegment seg, long offset) {
        return Float.float16ToFloat(seg.get(LE_SHORT, offset));
    }

    /** Σ (|w - m| + |m|)·|x|: the error scale of kernels that sum d·Σq·x and m·Σx separately. */
    static double offsetMagnitude(MemorySegment seg, long offset, int blockBytes, float[] w, float[] x, int xOffset) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            double m = half(seg, offset + (long) (i / 32) * blockBytes + 2);
            sum += (Math.abs(w[i] - m) + Math.abs(m)) * Math.abs(x[xOffset + i]);
        }
        return sum;
    }

    static float[] block(float... values) {
        float[] out = new float[32];
        System.arraycopy(values, 0, out, 0, values.length);
        return out;
    }
}
