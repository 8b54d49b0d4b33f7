package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.B;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K · F32 at 256 and 512 bits, decoding a full-width register of levels per step: 4·W bytes (64 at
 * 512 bits), each the level q − 32 of one weight, made with a few 32-bit lane ops from ql and qh, then
 * stored to a per-thread scratch array and read back a quarter at a time, each quarter widened
 * straight from memory to W float lanes. The byte-lane kernel at 128 bits ({@link Q6_KVector#dot})
 * decodes one float vector's worth per step; the scalar index and bounds-check work that carried was
 * larger than its vector work (docs/kernels-kquants.md, sessions 4 and 8). The scratch round trip stands
 * in for extracting a quarter of a register, which the Vector API only offers as a byte slice
 * (a permute per quarter).
 *
 * <p>A decoded register must pair each ql byte with the qh byte holding its two high bits: ql byte
 * {@code m} of half {@code h} takes qh byte {@code 32h + m % 32}, bit pair {@code m / 32} (low nibble)
 * or {@code 2 + m / 32} (high nibble).
 * <ul>
 * <li>256 bits: 32 ql bytes at {@code 64h + 32k} and the 32 qh bytes of half h line up byte for byte,
 *     bit pair {@code k} (+2 for high nibbles). Group {@code g = k + 2·nibble + 4h} (0..7) holds
 *     values {@code 32g ..} in order: sub-blocks 2g and 2g + 1.</li>
 * <li>512 bits: all 64 qh bytes are one load (half 0, then half 1), so the 64 ql bytes must be the 32
 *     at {@code 32k} of half 0 next to the 32 at {@code 32k} of half 1: two loads, blended. Group
 *     {@code g = k + 2·nibble} (0..3): its quarters are sub-blocks 2g, 2g + 1 (half 0) and 2g + 8,
 *     2g + 9 (half 1), bit pair g throughout.</li>
 * </ul>
 * The g loops stay loops (C2 unrolls them after parsing; one copy of the decode keeps the kernel
 * under C2's inlining budget, see {@link KVectors}), and every index is linear in g, so C2 hoists the
 * bounds checks of x and the scales out of them. Each sub-block's Σ(q − 32)·x is one float vector,
 * scaled by d·scale as it is added; even and odd quarters go to two accumulators per row. Rows go in
 * pairs at 512 bits only: at 256 bits one row at a time was as fast in L2 and 4 % faster from DRAM.
 */
final class Q6_KWideVector {

    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, F.vectorShape());

    private static final IntVector NIBBLES = IntVector.broadcast(INTS, 0x0F0F0F0F);
    /** Bits 4 and 5 of every byte: where a qh bit pair goes on top of the nibble. */
    private static final IntVector PAIRS = IntVector.broadcast(INTS, 0x30303030);
    private static final ByteVector BIASES = ByteVector.broadcast(BYTES, (byte) 32);
    /** All ones in the lower 32 bytes of a 512-bit register, and in the upper 32 (512 bits only). */
    private static final IntVector LOWER = IntVector.broadcast(INTS, -1).blend(0, VectorMask.fromLong(INTS, 0xFF00L));
    private static final IntVector UPPER = LOWER.not();

    /** Per thread: d·scale of the 16 sub-blocks of a super-block for two rows, and one decoded register. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] scaled = new float[32];
        final byte[] levels = new byte[64];
    }

    private Q6_KWideVector() {
    }

    /** The 64 levels of 512-bit group {@code g} of the super-block at {@code blk} into {@code levels}. */
    private static void decode512(MemorySegment w, long blk, IntVector qh, int g, byte[] levels) {
        long ql = blk + QL + 32 * (g & 1);
        IntVector nibbles = IntVector.fromMemorySegment(INTS, w, ql, ByteOrder.LITTLE_ENDIAN).and(LOWER)
                .or(IntVector.fromMemorySegment(INTS, w, ql + 32, ByteOrder.LITTLE_ENDIAN).and(UPPER))
                .lanewise(VectorOperators.LSHR, 4 * (g >> 1)).and(NIBBLES);
        // rotating left by 4 − 2g brings bit pair g of every byte to bits 4-5 (g = 3: right by 2); bits that
        // cross into a neighbouring byte land outside 0x30
        nibbles.or(qh.lanewise(VectorOperators.ROL, 4 - 2 * g).and(PAIRS))
                .reinterpretAsBytes().sub(BIASES).intoArray(levels, 0);
    }

    /** The 32 levels of 256-bit group {@code g} of the super-block at {@code blk} into {@code levels}. */
    private static void decode256(MemorySegment w, long blk, int g, byte[] levels) {
        int half = g >> 2;
        IntVector qh = IntVector.fromMemorySegment(INTS, w, blk + QH + 32 * half, ByteOrder.LITTLE_ENDIAN);
        IntVector ql = IntVector.fromMemorySegment(INTS, w, blk + QL + 64 * half + 32 * (g & 1), ByteOrder.LITTLE_ENDIAN);
        ql.lanewise(VectorOperators.LSHR, 4 * ((g >> 1) & 1)).and(NIBBLES)
                .or(qh.lanewise(VectorOperators.LSHR, 2 * (g & 3)).lanewise(VectorOperators.LSHL, 4).and(PAIRS))
                .reinterpretAsBytes().sub(BIASES).intoArray(levels, 0);
    }

    static float dot512(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        Scratch s = SCRATCH.get();
        float[] dsc = s.scaled;
        byte[] levels = s.levels;
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            Q6_KVector.scaled(w, blk, dsc, 0);
            IntVector qh = IntVector.fromMemorySegment(INTS, w, blk + QH, ByteOrder.LITTLE_ENDIAN);
            int xBlock = xOffset + b * QK_K;
            for (int g = 0; g < 4; g++) {
                decode512(w, blk, qh, g, levels);
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

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot512}. The rows take
     * turns through one copy of the loop (see Q6_KVector's history in docs/kernels-kquants.md: two copies passed C2's
     * node budget and boxed); the accumulators of the row whose turn it is swap places with the other row's.
     */
    static void dot2_512(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        Scratch s = SCRATCH.get();
        float[] dsc = s.scaled;
        byte[] levels = s.levels;
        FloatVector zero = FloatVector.zero(F);
        FloatVector even = zero; // the row whose turn is next
        FloatVector odd = zero;
        FloatVector otherEven = zero;
        FloatVector otherOdd = zero;
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            for (int r = 0; r < 2; r++) {
                Q6_KVector.scaled(w, blk0 + r * apart, dsc, 16 * r);
            }
            int xBlock = b * QK_K;
            for (int r = 0; r < 2; r++) {
                long blk = blk0 + r * apart;
                IntVector qh = IntVector.fromMemorySegment(INTS, w, blk + QH, ByteOrder.LITTLE_ENDIAN);
                FloatVector e = even;
                FloatVector o = odd;
                for (int g = 0; g < 4; g++) {
                    decode512(w, blk, qh, g, levels);
                    for (int p = 0; p < 4; p += 2) {
                        int sub = 2 * g + p + 6 * (p >> 1);
                        e = floats(ByteVector.fromArray(B, levels, 16 * p), 0).mul(FloatVector.fromArray(F, x, xBlock + 16 * sub))
                                .fma(FloatVector.broadcast(F, dsc[16 * r + sub]), e);
                        o = floats(ByteVector.fromArray(B, levels, 16 * p + 16), 0).mul(FloatVector.fromArray(F, x, xBlock + 16 * sub + 16))
                                .fma(FloatVector.broadcast(F, dsc[16 * r + sub + 1]), o);
                    }
                }
                even = otherEven;
                odd = otherOdd;
                otherEven = e;
                otherOdd = o;
            }
        }
        // Vectors.sum2 written out (same folds, same bits): a call to it, parsed last, can fall past C2's node cut-off
        // and box both vectors, which in some processes left the 1B Q4_K_M file at 5.6-6.6 instead of 7-9 tokens/s
        FloatVector a = even.add(odd);
        FloatVector b = otherEven.add(otherOdd);
        FloatVector v = a.add(a.rearrange(Vectors.FOLDS[0])).blend(b.add(b.rearrange(Vectors.FOLDS[0])), Vectors.UPPER_HALF);
        for (int k = 1; k < Vectors.FOLDS.length; k++) {
            v = v.add(v.rearrange(Vectors.FOLDS[k]));
        }
        out[out0] = v.lane(0);
        out[out1] = v.lane(F.length() / 2);
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
            Q6_KVector.scaled(w, blk, dsc, 0);
            int xBlock = xOffset + b * QK_K;
            for (int g = 0; g < 8; g++) {
                decode256(w, blk, g, levels);
                for (int p = 0; p < 4; p += 2) { // quarters p, p + 1: both in sub-block 2g + p / 2
                    FloatVector scale = FloatVector.broadcast(F, dsc[2 * g + (p >> 1)]);
                    int xp = xBlock + 32 * g + 8 * p;
                    even = floats(ByteVector.fromArray(B, levels, 8 * p), 0).mul(FloatVector.fromArray(F, x, xp))
                            .fma(scale, even);
                    odd = floats(ByteVector.fromArray(B, levels, 8 * p + 8), 0).mul(FloatVector.fromArray(F, x, xp + 8))
                            .fma(scale, odd);
                }
            }
        }
        return Vectors.sum(even.add(odd));
    }
}
