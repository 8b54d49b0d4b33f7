package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.B;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q4_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q4_KFormat.QS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K · F32 at 256 bits, as {@link Q6_KWideVector}: the 32 qs bytes of a sub-block pair are split into
 * their two nibbles in one register each, staged in a per-thread array and widened 8 at a time; each
 * weight is then q·(d·scale) − dmin·min in one fused multiply-add (as {@link Q4_KVector}). At 512 bits
 * the same scheme lost to {@link Q4_KVector}'s 16-byte steps (7.4 against 10.9 Gweights/s,
 * docs/kernels-kquants.md, session 8), so it is used at 256 bits only, one row at a time (the pair loop
 * was slower here too).
 */
final class Q4_KWideVector {

    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, F.vectorShape());
    private static final byte LOW_NIBBLE = 0x0F;

    /** Per thread: one super-block's scale factors, and one pair's nibbles (low, then high). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] factors = new float[16];
        final byte[] nibbles = new byte[64];
    }

    private Q4_KWideVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        Scratch s = SCRATCH.get();
        float[] f = s.factors;
        byte[] nibbles = s.nibbles;
        FloatVector lo = FloatVector.zero(F); // low-nibble sub-blocks, then high: two chains
        FloatVector hi = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            KVectors.scaleMinFactors(w, blk, f);
            int xBlock = xOffset + b * QK_K;
            for (int pair = 0; pair < 4; pair++) { // sub-blocks 2·pair (low nibbles) and 2·pair + 1 (high)
                ByteVector q = ByteVector.fromMemorySegment(BYTES, w, blk + QS + 32 * pair, ByteOrder.LITTLE_ENDIAN);
                q.and(LOW_NIBBLE).intoArray(nibbles, 0);
                shiftRight(q, 4).and(LOW_NIBBLE).intoArray(nibbles, 32);
                FloatVector scaleLo = FloatVector.broadcast(F, f[2 * pair]);
                FloatVector minLo = FloatVector.broadcast(F, f[8 + 2 * pair]);
                FloatVector scaleHi = FloatVector.broadcast(F, f[2 * pair + 1]);
                FloatVector minHi = FloatVector.broadcast(F, f[9 + 2 * pair]);
                int xp = xBlock + 64 * pair;
                for (int k = 0; k < 32; k += 8) {
                    lo = floats(ByteVector.fromArray(B, nibbles, k), 0).fma(scaleLo, minLo)
                            .fma(FloatVector.fromArray(F, x, xp + k), lo);
                    hi = floats(ByteVector.fromArray(B, nibbles, 32 + k), 0).fma(scaleHi, minHi)
                            .fma(FloatVector.fromArray(F, x, xp + 32 + k), hi);
                }
            }
        }
        return Vectors.sum(lo.add(hi));
    }
}
