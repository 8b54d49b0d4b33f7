package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.LE_SHORT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.B;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.Q3_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q3_KFormat.D;
import static llm4j.quant.format.Q3_KFormat.HMASK;
import static llm4j.quant.format.Q3_KFormat.QS;
import static llm4j.quant.format.Q3_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q3_K · F32 at 256 and 512 bits, as Q6_K's wide kernel did before session 10: a register of levels q − 4 made per step with 32-bit
 * lane ops, staged in a per-thread array and widened a quarter at a time, one row at a time.
 * <ul>
 * <li>256 bits: step t (0..7) takes bit pair {@code t % 4} of the 32 qs bytes at {@code 32·(t / 4)} and bit t of
 *     the 32 hmask bytes: its lower 16 bytes are sub-block 2t, its upper 16 sub-block 2t + 1.</li>
 * <li>512 bits: step g (0..3) takes bit pair g of all 64 qs bytes (half 0, then half 1) and, from the 32 hmask
 *     bytes permuted into both halves, bit g (half 0) or g + 4 (half 1): its quarters are sub-blocks 2g, 2g + 1,
 *     2g + 8 and 2g + 9.</li>
 * </ul>
 * Every index is linear in the step, so C2 hoists the bounds checks of x and the scales.
 */
final class Q3_KWideVector {

    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, F.vectorShape());

    private static final IntVector TWO_BITS = IntVector.broadcast(INTS, 0x03030303);
    /** Bit 2 of every byte: where the hmask bit goes. */
    private static final IntVector THIRD_BITS = IntVector.broadcast(INTS, 0x04040404);
    private static final ByteVector BIASES = ByteVector.broadcast(BYTES, (byte) 4);

    /** Per thread: one super-block's d·scale, and one step's levels. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] scaled = new float[16];
        final byte[] levels = new byte[64];
    }

    private Q3_KWideVector() {
    }

    /**
     * d·(scale j − 32) into {@code dsc[j]}, j = 0..15. Scale j is the nibble {@code j / 8} of byte {@code j % 8} with
     * bits {@code 2·(j / 4)..} of byte {@code 8 + j % 4} on top; all 16 are unpacked at once in two longs.
     */
    private static void scaled(MemorySegment w, long blk, float[] dsc) {
        float d = Float.float16ToFloat(w.get(LE_SHORT, blk + D));
        long low = w.get(LE_LONG, blk + SCALES);
        long high = w.get(LE_INT, blk + SCALES + 8) & 0xFFFFFFFFL;
        long first = (low & 0x0F0F0F0F0F0F0F0FL)
                | (((high & 0x03030303L) | (((high >>> 2) & 0x03030303L) << 32)) << 4);
        long second = ((low >>> 4) & 0x0F0F0F0F0F0F0F0FL)
                | ((((high >>> 4) & 0x03030303L) | (((high >>> 6) & 0x03030303L) << 32)) << 4);
        if (KVectors.W == 16) {
            floats(LongVector.broadcast(LongVector.SPECIES_128, first).withLane(1, second).reinterpretAsBytes(), 0)
                    .sub(32f).mul(d).intoArray(dsc, 0);
        } else {
            floats(LongVector.broadcast(LongVector.SPECIES_128, first).reinterpretAsBytes(), 0).sub(32f).mul(d).intoArray(dsc, 0);
            floats(LongVector.broadcast(LongVector.SPECIES_128, second).reinterpretAsBytes(), 0).sub(32f).mul(d).intoArray(dsc, 8);
        }
    }

    /** The levels q − 4 of step {@code t} of the super-block at {@code blk} into {@code levels}. */
    private static void decode(MemorySegment w, long blk, int t, byte[] levels) {
        IntVector qs = IntVector.fromMemorySegment(INTS, w, blk + QS + 32 * (t >> 2), ByteOrder.LITTLE_ENDIAN);
        IntVector hm = IntVector.fromMemorySegment(INTS, w, blk + HMASK, ByteOrder.LITTLE_ENDIAN);
        qs.lanewise(VectorOperators.LSHR, 2 * (t & 3)).and(TWO_BITS)
                .or(hm.lanewise(VectorOperators.LSHR, t).lanewise(VectorOperators.LSHL, 2).and(THIRD_BITS))
                .reinterpretAsBytes().sub(BIASES).intoArray(levels, 0);
    }

    static float dot256(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        Scratch s = SCRATCH.get();
        float[] dsc = s.scaled;
        byte[] levels = s.levels;
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            scaled(w, blk, dsc);
            int xBlock = xOffset + b * QK_K;
            for (int t = 0; t < 8; t++) {
                decode(w, blk, t, levels);
                for (int p = 0; p < 4; p += 2) { // quarters p, p + 1: sub-block 2t + p / 2
                    FloatVector scale = FloatVector.broadcast(F, dsc[2 * t + (p >> 1)]);
                    int xp = xBlock + 32 * t + 8 * p;
                    even = floats(ByteVector.fromArray(B, levels, 8 * p), 0).mul(FloatVector.fromArray(F, x, xp))
                            .fma(scale, even);
                    odd = floats(ByteVector.fromArray(B, levels, 8 * p + 8), 0).mul(FloatVector.fromArray(F, x, xp + 8))
                            .fma(scale, odd);
                }
            }
        }
        return Vectors.sum(even.add(odd));
    }

    /** 512 bits: lanes 0..7 (the 32 hmask bytes) repeated in lanes 8..15. */
    private static final VectorShuffle<Integer> TWICE =
            VectorShuffle.fromOp(INTS, i -> i & 7);
    /** 512 bits: the hmask bit of step g is bit g in the lower half (half 0), bit g + 4 in the upper. */
    private static final IntVector HALF_SHIFTS = IntVector.broadcast(INTS, 0)
            .blend(4, VectorMask.fromLong(INTS, 0xFF00L));

    static float dot512(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        Scratch s = SCRATCH.get();
        float[] dsc = s.scaled;
        byte[] levels = s.levels;
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            scaled(w, blk, dsc);
            IntVector hm = IntVector.fromMemorySegment(INTS, w, blk + HMASK, ByteOrder.LITTLE_ENDIAN).rearrange(TWICE);
            IntVector qs = IntVector.fromMemorySegment(INTS, w, blk + QS, ByteOrder.LITTLE_ENDIAN);
            int xBlock = xOffset + b * QK_K;
            for (int g = 0; g < 4; g++) {
                qs.lanewise(VectorOperators.LSHR, 2 * g).and(TWO_BITS)
                        .or(hm.lanewise(VectorOperators.LSHR, HALF_SHIFTS.add(g)).lanewise(VectorOperators.LSHL, 2).and(THIRD_BITS))
                        .reinterpretAsBytes().sub(BIASES).intoArray(levels, 0);
                for (int p = 0; p < 4; p += 2) { // quarters p, p + 1: sub-blocks 2g + p (+ 6 in half 1) and the next
                    int sub = 2 * g + p + 6 * (p >> 1);
                    even = floats(ByteVector.fromArray(B, levels, 16 * p), 0).mul(FloatVector.fromArray(F, x, xBlock + 16 * sub))
                            .fma(FloatVector.broadcast(F, dsc[sub]), even);
                    odd = floats(ByteVector.fromArray(B, levels, 16 * p + 16), 0).mul(FloatVector.fromArray(F, x, xBlock + 16 * sub + 16))
                            .fma(FloatVector.broadcast(F, dsc[sub + 1]), odd);
                }
            }
        }
        return Vectors.sum(even.add(odd));
    }
}
