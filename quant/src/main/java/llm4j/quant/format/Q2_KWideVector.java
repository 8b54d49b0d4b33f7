package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.B;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.Q2_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q2_KFormat.D;
import static llm4j.quant.format.Q2_KFormat.QS;
import static llm4j.quant.format.Q2_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q2_K · F32 at 256 bits, as Q6_K's wide kernel did before session 10: the 32 levels of two 16-value sub-blocks made per step
 * (bit pair {@code t % 4} of the 32 qs bytes at {@code 32·(t / 4)}: sub-blocks 2t and 2t + 1), staged in a
 * per-thread array and widened 8 at a time; each weight is then q·(d·scale) − dmin·min in one fused
 * multiply-add.
 */
final class Q2_KWideVector {

    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final IntVector TWO_BITS = IntVector.broadcast(INTS, 0x03030303);
    private static final long NIBBLES = 0x0F0F0F0F0F0F0F0FL;

    /** Per thread: one super-block's scale factors, and one step's levels. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] factors = new float[32];
        final byte[] levels = new byte[32];
    }

    private Q2_KWideVector() {
    }

    /**
     * d·scale j into {@code f[j]} and −dmin·min j into {@code f[16 + j]}, j = 0..15: byte j holds the scale in its low
     * nibble and the min in its high one. 128-bit long vectors carry the bytes: a 64-bit one has a single lane, which C2 boxes.
     */
    private static void factors(MemorySegment w, long blk, float[] f) {
        int dBits = w.get(LE_INT, blk + D); // d, then dmin
        float d = lowHalf(dBits);
        float minusDmin = -highHalf(dBits);
        long first = w.get(LE_LONG, blk + SCALES);
        long second = w.get(LE_LONG, blk + SCALES + 8);
        floats(LongVector.broadcast(LongVector.SPECIES_128, first & NIBBLES).reinterpretAsBytes(), 0).mul(d).intoArray(f, 0);
        floats(LongVector.broadcast(LongVector.SPECIES_128, second & NIBBLES).reinterpretAsBytes(), 0).mul(d).intoArray(f, 8);
        floats(LongVector.broadcast(LongVector.SPECIES_128, (first >>> 4) & NIBBLES).reinterpretAsBytes(), 0)
                .mul(minusDmin).intoArray(f, 16);
        floats(LongVector.broadcast(LongVector.SPECIES_128, (second >>> 4) & NIBBLES).reinterpretAsBytes(), 0)
                .mul(minusDmin).intoArray(f, 24);
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
            factors(w, blk, f);
            int xBlock = xOffset + b * QK_K;
            for (int t = 0; t < 8; t++) {
                IntVector.fromMemorySegment(INTS, w, blk + QS + 32 * (t >> 2), ByteOrder.LITTLE_ENDIAN)
                        .lanewise(VectorOperators.LSHR, 2 * (t & 3)).and(TWO_BITS)
                        .reinterpretAsBytes().intoArray(levels, 0);
                for (int p = 0; p < 4; p += 2) { // quarters p, p + 1: sub-block 2t + p / 2
                    int sub = 2 * t + (p >> 1);
                    FloatVector scale = FloatVector.broadcast(F, f[sub]);
                    FloatVector min = FloatVector.broadcast(F, f[16 + sub]);
                    int xp = xBlock + 32 * t + 8 * p;
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
