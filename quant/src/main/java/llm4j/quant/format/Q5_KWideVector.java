package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.B;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.Q5_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q5_KFormat.QH;
import static llm4j.quant.format.Q5_KFormat.QS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K · F32 at 256 bits, as {@link Q6_KWideVector}: the 32 levels of a sub-block made per step with
 * 32-bit lane ops (nibble {@code j % 2} of the 32 qs bytes at {@code 32·(j / 2)}, bit j of the 32 qh
 * bytes moved to bit 4), staged in a per-thread array and widened 8 at a time; each weight is then
 * q·(d·scale) − dmin·min in one fused multiply-add (as {@link Q4_KVector}). One row at a time (the pair
 * loop was slower). At 512 bits a two-sub-block step (the qh bytes permuted into both halves, each
 * half rotating its own bit into place) lost to {@link Q5_KVector} (6.6 against 7.7 Gweights/s,
 * docs/kernels-kquants.md, session 8).
 */
final class Q5_KWideVector {

    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());

    private static final IntVector NIBBLES = IntVector.broadcast(INTS, 0x0F0F0F0F);
    /** Bit 4 of every byte: where the fifth level bit goes. */
    private static final IntVector FIFTH_BITS = IntVector.broadcast(INTS, 0x10101010);

    /** Per thread: one super-block's scale factors, and one sub-block's levels. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] factors = new float[16];
        final byte[] levels = new byte[32];
    }

    private Q5_KWideVector() {
    }

    /** The 32 levels of sub-block {@code j} of the super-block at {@code blk} into {@code levels}. */
    private static void decode(MemorySegment w, long blk, int j, byte[] levels) {
        IntVector qh = IntVector.fromMemorySegment(INTS, w, blk + QH, ByteOrder.LITTLE_ENDIAN);
        IntVector.fromMemorySegment(INTS, w, blk + QS + 32 * (j >> 1), ByteOrder.LITTLE_ENDIAN)
                .lanewise(VectorOperators.LSHR, 4 * (j & 1)).and(NIBBLES)
                .or(qh.lanewise(VectorOperators.LSHR, j).lanewise(VectorOperators.LSHL, 4).and(FIFTH_BITS))
                .reinterpretAsBytes().intoArray(levels, 0);
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        Scratch s = SCRATCH.get();
        float[] f = s.factors;
        byte[] levels = s.levels;
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            KVectors.scaleMinFactors(w, blk, f);
            int xBlock = xOffset + b * QK_K;
            for (int j = 0; j < 8; j++) {
                decode(w, blk, j, levels);
                FloatVector scale = FloatVector.broadcast(F, f[j]);
                FloatVector min = FloatVector.broadcast(F, f[8 + j]);
                for (int p = 0; p < 4; p += 2) {
                    int xp = xBlock + 32 * j + 8 * p;
                    even = floats(ByteVector.fromArray(B, levels, 8 * p), 0).fma(scale, min)
                            .fma(FloatVector.fromArray(F, x, xp), even);
                    odd = floats(ByteVector.fromArray(B, levels, 8 * p + 8), 0).fma(scale, min)
                            .fma(FloatVector.fromArray(F, x, xp + 8), odd);
                }
            }
        }
        return Vectors.sum(even.add(odd));
    }
}
