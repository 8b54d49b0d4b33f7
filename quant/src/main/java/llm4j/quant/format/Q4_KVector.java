package llm4j.quant.format;

import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.D;
import static llm4j.quant.format.Q4_KFormat.QS;
import static llm4j.quant.format.Q4_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q4_K panels for the tiled matrix product, decoded with the Vector API. (The dot products are
 * {@link Q4_KMantissaVector}'s; this class held the earlier ones, which made each weight as
 * q·(d·scale) − dmin·min in one fused multiply-add: docs/kernels-kquants.md.)
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;

    private Q4_KVector() {
    }

    /**
     * Decodes {@code n} values into {@code dst} as {@link Q4_KFormat#dequantize} does, bit for bit: d·scale and dmin·min
     * made the same way once per sub-block, then d1·q − m1 per value (a product and a difference, not an fma).
     */
    static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            long s0 = w.get(LE_LONG, blk + SCALES);
            int s8 = w.get(LE_INT, blk + SCALES + 8);
            long scales = scalesK4(s0, s8);
            long mins = minsK4(s0, s8);
            int out = dstOffset + b * QK_K;
            for (int p = 0; p < 4; p++, out += 64) {
                FloatVector d1 = FloatVector.broadcast(F, d * KVectors.byteOf(scales, 2 * p));
                FloatVector m1 = FloatVector.broadcast(F, dmin * KVectors.byteOf(mins, 2 * p));
                FloatVector d2 = FloatVector.broadcast(F, d * KVectors.byteOf(scales, 2 * p + 1));
                FloatVector m2 = FloatVector.broadcast(F, dmin * KVectors.byteOf(mins, 2 * p + 1));
                long qs = blk + QS + 32 * p;
                for (int k = 0; k < 32; k += BL) {
                    ByteVector q = load(w, qs + k);
                    floats(q.and(LOW_NIBBLE), 0).mul(d1).sub(m1).intoArray(dst, out + k);
                    floats(shiftRight(q, 4).and(LOW_NIBBLE), 0).mul(d2).sub(m2).intoArray(dst, out + 32 + k);
                }
            }
        }
    }
}
