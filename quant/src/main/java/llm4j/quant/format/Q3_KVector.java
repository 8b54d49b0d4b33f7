package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.LE_SHORT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q3_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q3_KFormat.D;
import static llm4j.quant.format.Q3_KFormat.HMASK;
import static llm4j.quant.format.Q3_KFormat.QS;
import static llm4j.quant.format.Q3_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K · F32 with the Vector API at 128 bits (256 and 512 bits: {@link Q3_KMantissaVector}), one 16-value
 * sub-block at a time: each level (2 bits of qs | the
 * hmask bit as bit 2) − 4 is built in byte lanes, Σ(q − 4)·x is accumulated in float lanes and
 * scaled once by d·scale. Also the vector panel decoder at every width ({@link #dequantize}).
 */
final class Q3_KVector {

    private static final byte TWO_BITS = 3;
    private static final byte ONE_BIT = 1;
    private static final byte BIAS = 4;
    private static final byte MINUS_FOUR = -4;

    private Q3_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
            long scalesLow = w.get(LE_LONG, blk + SCALES);
            int scalesHigh = w.get(LE_INT, blk + SCALES + 8);
            int xBlock = xOffset + b * QK_K;
            // sub-block s = 8·half + 2·g + lh covers values 16s..; its mask bit is 4·half + g
            for (int s = 0; s < 16; s++) {
                int half = s >> 3;
                int g = (s >> 1) & 3;
                int lh = s & 1;
                long qs = blk + QS + 32 * half + 16 * lh;
                long hm = blk + HMASK + 16 * lh;
                FloatVector dot = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector low = shiftRight(load(w, qs + k), 2 * g).and(TWO_BITS);
                    ByteVector high = shiftLeft(shiftRight(load(w, hm + k), 4 * half + g).and(ONE_BIT), 2);
                    ByteVector q = low.or(high).sub(BIAS);
                    for (int part = 0; part < PARTS; part++) {
                        dot = floats(q, part).fma(FloatVector.fromArray(F, x, xBlock + 16 * s + k + part * W), dot);
                    }
                }
                acc = addScaled(acc, dot, d * scale(scalesLow, scalesHigh, s));
            }
        }
        return Vectors.sum(acc);
    }

    private static int scale(long low, int high, int j) {
        int low4 = (int) (low >>> (8 * (j & 7) + 4 * (j >> 3))) & 0xF;
        int high2 = (high >>> (8 * (j & 3) + 2 * (j >> 2))) & 3;
        return (low4 | (high2 << 4)) - 32;
    }

    /**
     * Decodes {@code n} values into {@code dst} as {@link Q3_KFormat#dequantize} does, bit for bit: (d·scale)·(q − 4) per
     * value, d·scale made as a scalar first. A load of qs bytes l.. of a half and of hmask bytes l.. holds values l.. of
     * the half's four bit pairs ("kinds"); one kind per iteration, written with Vector API calls only, as
     * {@link Q6_KVector#dequantize} (a helper left as a call returns a boxed vector). Every load stays in the super-block
     * at 128 bits too (the last 16-byte qs load ends at byte 108 of 110).
     */
    static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
            long scalesLow = w.get(LE_LONG, blk + SCALES);
            int scalesHigh = w.get(LE_INT, blk + SCALES + 8);
            for (int half = 0; half < 2; half++) {
                int out = dstOffset + b * QK_K + 128 * half;
                for (int l = 0; l < 32; l += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(KVectors.B, w, blk + QS + 32 * half + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector h = ByteVector.fromMemorySegment(KVectors.B, w, blk + HMASK + l, ByteOrder.LITTLE_ENDIAN);
                    for (int g = 0; g < 4; g++) {
                        // values l.. of bit pair g are sub-block j, their mask bit is 4·half + g
                        int j = 8 * half + 2 * g + l / 16;
                        int low4 = (int) (scalesLow >>> (8 * (j & 7) + 4 * (j >> 3))) & 0xF;
                        int high2 = (scalesHigh >>> (8 * (j & 3) + 2 * (j >> 2))) & 3;
                        float dl = d * ((low4 | (high2 << 4)) - 32);
                        // 16-bit shifts (x86 has no byte shift); the masks drop the bits that crossed bytes
                        ByteVector low = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * g).reinterpretAsBytes()
                                .and(TWO_BITS);
                        // ggml subtracts 4 where the mask bit is clear: bit − 1 is −1 there, and with −4 makes −4
                        ByteVector bias = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4 * half + g).reinterpretAsBytes()
                                .and(ONE_BIT).sub(ONE_BIT).and(MINUS_FOUR);
                        ((FloatVector) low.add(bias).convertShape(VectorOperators.B2F, F, 0)).mul(dl)
                                .intoArray(dst, out + 32 * g + l);
                    }
                }
            }
        }
    }
}
