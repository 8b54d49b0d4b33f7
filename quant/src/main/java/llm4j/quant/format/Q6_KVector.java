package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_SHORT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.D;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;
import static llm4j.quant.format.Q6_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K · F32 with the Vector API at 128 bits (256 and 512 bits: {@link Q6_KMantissaVector}), and the vector
 * panel decoder at every width. One 16-byte chunk of ql at a time: its low nibbles are values of one
 * 16-value sub-block and its high nibbles of the sub-block four later, and both take their fifth and
 * sixth bits from the same 16 qh bytes. The levels q − 32 are built in byte lanes, Σ(q − 32)·x of each
 * sub-block is accumulated in float lanes and scaled once by d·scale, the super-block's 16 products made
 * at once in float lanes.
 */
final class Q6_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    /** Bits 4 and 5: where a qh bit pair goes on top of the nibble. */
    private static final byte PAIR_ON_TOP = 0x30;
    private static final byte BIAS = 32;

    private static final ByteVector LOW_NIBBLES = ByteVector.broadcast(KVectors.B, LOW_NIBBLE);
    private static final ByteVector PAIRS_ON_TOP = ByteVector.broadcast(KVectors.B, PAIR_ON_TOP);
    private static final ByteVector BIASES = ByteVector.broadcast(KVectors.B, BIAS);

    private Q6_KVector() {
    }

    /*
     * Chunk t (0..7) of a super-block: half h = t / 4, c = t % 4; ql bytes 16t.. (64 per half, so linear in t),
     * qh bytes 32h + 16(c % 2) ... The low nibble of ql[64h + l] (l = 0..63) is value 128h + l, sub-block
     * 8h + c, its bits 4-5 the qh bit pair 2(c / 2); the high nibble is value 128h + 64 + l, sub-block
     * 8h + 4 + c, bit pair 2(c / 2) + 4. One iteration per chunk (two sub-blocks, one load of each array)
     * halves the scalar index work and loop overhead of one iteration per sub-block, which dominated the
     * loop (docs/kernels-kquants.md, session 4), and the pair shifts are one shift each: left by 4 − 2(c / 2)
     * or right by 2(c / 2), then the mask (bits crossing bytes land outside 0x30).
     */

    /** The levels q − 32 of the low nibbles of {@code ql}, their bit pair {@code pair} (0 or 2) of {@code qh}. */
    private static ByteVector lowLevels(ByteVector ql, ByteVector qh, int pair) {
        return ql.and(LOW_NIBBLES).or(shiftLeft(qh, 4 - pair).and(PAIRS_ON_TOP)).sub(BIASES);
    }

    /** The levels q − 32 of the high nibbles of {@code ql}, their bit pair {@code pair} + 4 of {@code qh}. */
    private static ByteVector highLevels(ByteVector ql, ByteVector qh, int pair) {
        return shiftRight(ql, 4).and(LOW_NIBBLES).or(shiftRight(qh, pair).and(PAIRS_ON_TOP)).sub(BIASES);
    }

    /** Per thread: d·scale of the 16 sub-blocks of a super-block. */
    private static final ThreadLocal<float[]> SCALED = ThreadLocal.withInitial(() -> new float[16]);

    /**
     * d·scale of the 16 sub-blocks of the super-block at {@code blk} into {@code dsc}, made in float lanes
     * (one load, widen and multiply at 16 lanes) and then broadcast from memory per sub-block: made one at a
     * time from the scale byte (shift, sign extension, int-to-float conversion, multiply, register broadcast),
     * they took a third of the loop's time (Q6_K 7.0 → 7.6 Gweights/s at 512 bits, 1536 columns).
     */
    private static void scaled(MemorySegment w, long blk, float[] dsc) {
        float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
        for (int i = 0; i < 16; i += BL) {
            floats(load(w, blk + SCALES + i), 0).mul(d).intoArray(dsc, i);
        }
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        float[] dsc = SCALED.get();
        FloatVector accLow = FloatVector.zero(F); // the low-nibble sub-blocks
        FloatVector accHigh = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            scaled(w, blk, dsc);
            int xBlock = xOffset + b * QK_K;
            for (int t = 0; t < 8; t++) {
                int c = t & 3;
                int pair = 2 * (c >> 1);
                long ql = blk + QL + 16 * t;
                long qh = blk + QH + 32 * (t >> 2) + 16 * (c & 1);
                int xLow = xBlock + 128 * (t >> 2) + 16 * c;
                int sub = 8 * (t >> 2) + c;
                FloatVector dotLow = FloatVector.zero(F);
                FloatVector dotHigh = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector l = load(w, ql + k);
                    ByteVector h = load(w, qh + k);
                    dotLow = floats(lowLevels(l, h, pair), 0).fma(FloatVector.fromArray(F, x, xLow + k), dotLow);
                    dotHigh = floats(highLevels(l, h, pair), 0).fma(FloatVector.fromArray(F, x, xLow + 64 + k), dotHigh);
                }
                accLow = addScaled(accLow, dotLow, dsc[sub]);
                accHigh = addScaled(accHigh, dotHigh, dsc[sub + 4]);
            }
        }
        return Vectors.sum(accLow.add(accHigh));
    }

    /**
     * Decodes {@code n} values into {@code dst} as {@link Q6_KFormat#dequantize} does, bit for bit: (d·scale)·(q − 32)
     * per value, d·scale first as ggml multiplies. Per half, 32 bytes of ql (twice) and qh give 128 values in four
     * kinds: kind k takes the low (k < 2) or high nibble of ql's bytes 32(k % 2).., and bit pair 2k of qh.
     * <p>One kind per iteration, written with Vector API calls only: the four kinds written out (through the helpers
     * above) parsed past C2's inlining cut-off, and the calls left over returned boxed vectors, ~2 kB per value
     * decoded (JFR; the 1B Q6_K file's pp128 at t=1 went from 27.6-28.7 to 30.7-31.9 tokens/s).
     */
    static void dequantize(MemorySegment w, long offset, float[] dst, int dstOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
            for (int half = 0; half < 2; half++) {
                int out = dstOffset + b * QK_K + 128 * half;
                for (int l = 0; l < 32; l += BL) {
                    // values l.. of kind k are sub-block 8·half + l/16 + 2k
                    long sc = blk + SCALES + 8 * half + l / 16;
                    ByteVector h = ByteVector.fromMemorySegment(KVectors.B, w, blk + QH + 32 * half + l, ByteOrder.LITTLE_ENDIAN);
                    for (int k = 0; k < 4; k++) {
                        ByteVector q = ByteVector.fromMemorySegment(KVectors.B, w, blk + QL + 64 * half + 32 * (k & 1) + l,
                                ByteOrder.LITTLE_ENDIAN);
                        // 16-bit shifts (x86 has no byte shift); the masks drop the bits that crossed bytes
                        ByteVector nibble = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4 * (k >> 1))
                                .reinterpretAsBytes().and(LOW_NIBBLE);
                        ByteVector top = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2 * k)
                                .lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and(PAIR_ON_TOP);
                        ((FloatVector) nibble.or(top).sub(BIAS).convertShape(VectorOperators.B2F, F, 0))
                                .mul(d * w.get(ValueLayout.JAVA_BYTE, sc + 2 * k))
                                .intoArray(dst, out + 32 * k + l);
                    }
                }
            }
        }
    }
}
