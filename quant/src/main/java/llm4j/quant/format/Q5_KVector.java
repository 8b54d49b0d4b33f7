package llm4j.quant.format;

import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.minsK4;
import static llm4j.quant.format.KVectors.scalesK4;
import static llm4j.quant.format.Q5_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q5_KFormat.D;
import static llm4j.quant.format.Q5_KFormat.QH;
import static llm4j.quant.format.Q5_KFormat.QS;
import static llm4j.quant.format.Q5_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K's vector panel decoder ({@link #dequantize}) for prefill, one sub-block of a load per iteration: a pair of
 * 32-value sub-blocks shares 32 qs bytes (low nibbles for the first, high for the second), and the fifth level bit of
 * sub-block j is bit j of qh, moved to bit 4 in byte lanes. The products are {@link Q5_KMantissaVector}'s (until
 * session 12 this class also had the 512-bit byte-lane product, 7.8 Gweights/s against the mantissa pairs' 14.5).
 */
final class Q5_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte ONE_BIT = 1;
    private static final byte FIFTH_BIT = 0x10;

    private Q5_KVector() {
    }

    /**
     * Decodes {@code n} values into {@code dst} as {@link Q5_KFormat#dequantize} does, bit for bit: (d·scale)·q − dmin·min
     * per value, both factors made as scalars first and the product rounded before the difference (no fma). Bytes l..
     * of qs hold values l.. of a pair of sub-blocks (low and high nibbles) and qh bytes l.. their fifth bits; one
     * sub-block per iteration, written with Vector API calls only, as {@link Q6_KVector#dequantize} (a helper left as a
     * call returns a boxed vector). The pair's factors are made once, outside the loads' loop: made per load, their
     * scalar work held 128 bits at 1.35 Gweights/s (now 2.6; 512 bits 5.0 → 7.2).
     * <p>At 128 bits a byte vector is 16 bytes but only 4 are used: the last qs loads of a super-block would read past
     * it (the segment may end there), so 4 bytes are read as an int and broadcast instead.
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
                // sub-blocks 2p and 2p + 1: the low and high nibbles of qs bytes 32p.., their fifth bits bits 2p, 2p + 1 of qh
                float d1 = d * ((int) (scales >>> (16 * p)) & 0xFF);
                float m1 = dmin * ((int) (mins >>> (16 * p)) & 0xFF);
                float d2 = d * ((int) (scales >>> (16 * p + 8)) & 0xFF);
                float m2 = dmin * ((int) (mins >>> (16 * p + 8)) & 0xFF);
                for (int l = 0; l < 32; l += BL) {
                    long qs = blk + QS + 32 * p + l;
                    ByteVector q = W >= 8 ? ByteVector.fromMemorySegment(KVectors.B, w, qs, ByteOrder.LITTLE_ENDIAN)
                            : IntVector.broadcast(KVectors.INTS, w.get(LE_INT, qs)).reinterpretAsBytes();
                    ByteVector h = ByteVector.fromMemorySegment(KVectors.B, w, blk + QH + l, ByteOrder.LITTLE_ENDIAN);
                    for (int k = 0; k < 2; k++) {
                        // 16-bit shifts (x86 has no byte shift); the masks drop the bits that crossed bytes
                        ByteVector nibble = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4 * k).reinterpretAsBytes()
                                .and(LOW_NIBBLE);
                        ByteVector top = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * p + k)
                                .lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(FIFTH_BIT);
                        ((FloatVector) nibble.or(top).convertShape(VectorOperators.B2F, F, 0))
                                .mul(k == 0 ? d1 : d2).sub(k == 0 ? m1 : m2).intoArray(dst, out + 32 * k + l);
                    }
                }
            }
        }
    }
}
