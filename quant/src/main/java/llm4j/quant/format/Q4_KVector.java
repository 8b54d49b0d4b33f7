package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.LE_LONG;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.byteFloat;
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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K · F32 with the Vector API, one pair of 32-value sub-blocks at a time (they share 32 qs
 * bytes: low nibbles for the first, high for the second). Each weight is made in float lanes as
 * q·(d·scale) − dmin·min with one fused multiply-add, and multiplied into the sum with another: two
 * float ops per vector of weights, where Σq·x and Σx per sub-block (then scaled once) took three.
 */
final class Q4_KVector {

    private static final byte LOW_NIBBLE = 0x0F;

    /*
     * At 4 lanes the 4 qs bytes are broadcast to int lanes and lane i shifted right by 8i (low nibbles) or
     * 8i + 4 (high), masked and converted int to float: widening them from a byte vector instead compiled to a
     * vmovss merge into a register that also held the previous weight, which chained every widening behind
     * the last fma (3.5 against 4.2 Gweights/s for the Σq·x kernel before).
     */
    private static final VectorSpecies<Integer> WORDS = IntVector.SPECIES_128;
    private static final IntVector LOW_SHIFTS = IntVector.fromArray(WORDS, new int[] {0, 8, 16, 24}, 0);
    private static final IntVector HIGH_SHIFTS = IntVector.fromArray(WORDS, new int[] {4, 12, 20, 28}, 0);

    private Q4_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector accLo = FloatVector.zero(F); // low-nibble sub-blocks, then high: two chains
        FloatVector accHi = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            long s0 = w.get(LE_LONG, blk + SCALES);
            int s8 = w.get(LE_INT, blk + SCALES + 8);
            long scales = scalesK4(s0, s8);
            long mins = minsK4(s0, s8);
            int xBlock = xOffset + b * QK_K;
            // pair p: sub-blocks 2p (low nibbles of qs[32p..]) and 2p + 1 (high nibbles), values 64p..
            for (int p = 0; p < 4; p++) {
                long qs = blk + QS + 32 * p;
                int xp = xBlock + 64 * p;
                FloatVector scaleLo = FloatVector.broadcast(F, d * byteFloat(scales, 2 * p));
                FloatVector scaleHi = FloatVector.broadcast(F, d * byteFloat(scales, 2 * p + 1));
                FloatVector minLo = FloatVector.broadcast(F, -dmin * byteFloat(mins, 2 * p));
                FloatVector minHi = FloatVector.broadcast(F, -dmin * byteFloat(mins, 2 * p + 1));
                for (int k = 0; k < 32; k += BL) {
                    FloatVector qLo;
                    FloatVector qHi;
                    if (KVectors.W == 4) {
                        IntVector word = IntVector.broadcast(WORDS, w.get(LE_INT, qs + k));
                        qLo = (FloatVector) word.lanewise(VectorOperators.LSHR, LOW_SHIFTS).and(LOW_NIBBLE)
                                .convert(VectorOperators.I2F, 0);
                        qHi = (FloatVector) word.lanewise(VectorOperators.LSHR, HIGH_SHIFTS).and(LOW_NIBBLE)
                                .convert(VectorOperators.I2F, 0);
                    } else {
                        ByteVector q = load(w, qs + k);
                        qLo = floats(q.and(LOW_NIBBLE), 0);
                        qHi = floats(shiftRight(q, 4).and(LOW_NIBBLE), 0);
                    }
                    accLo = qLo.fma(scaleLo, minLo).fma(FloatVector.fromArray(F, x, xp + k), accLo);
                    accHi = qHi.fma(scaleHi, minHi).fma(FloatVector.fromArray(F, x, xp + 32 + k), accHi);
                }
            }
        }
        return Vectors.sum(accLo.add(accHi));
    }

    /**
     * Rows at {@code offset0} and {@code offset1} (x from index 0), each bit for bit {@link #dot}: the same
     * per-row chains, with the loop overhead paid once for both rows. The rows take turns through one copy
     * of the decode (a 2-trip loop that C2 unrolls after parsing; two copies would not fit C2's node budget,
     * see Q6_KWideVector.dot2_512), and the two accumulators of the row whose turn it is swap places with the other
     * row's on each turn. Used at 512 bits only (see {@link Q4_KFormat#vectorPairKernel()}).
     */
    static void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1) {
        int blocks = KQuants.superBlocks(n);
        long apart = offset1 - offset0;
        float[] factors = FACTORS.get();
        // one zero for all: each FloatVector.zero call costs C2 nodes
        FloatVector zero = FloatVector.zero(F);
        // the row whose turn is next, then the other
        FloatVector accLo = zero;
        FloatVector accHi = zero;
        FloatVector otherLo = zero;
        FloatVector otherHi = zero;
        for (int b = 0; b < blocks; b++) {
            long blk0 = offset0 + (long) b * BLOCK_BYTES;
            for (int r = 0; r < 2; r++) {
                factors(w, blk0 + r * apart, factors, 16 * r);
            }
            int xBlock = b * QK_K;
            for (int p = 0; p < 4; p++) {
                int xp = xBlock + 64 * p;
                for (int r = 0; r < 2; r++) {
                    long qs = blk0 + r * apart + QS + 32 * p;
                    int at = 16 * r + 2 * p;
                    FloatVector scaleLo = FloatVector.broadcast(F, factors[at]);
                    FloatVector scaleHi = FloatVector.broadcast(F, factors[at + 1]);
                    FloatVector minLo = FloatVector.broadcast(F, factors[at + 8]);
                    FloatVector minHi = FloatVector.broadcast(F, factors[at + 9]);
                    FloatVector lo = accLo;
                    FloatVector hi = accHi;
                    for (int k = 0; k < 32; k += BL) {
                        ByteVector q = load(w, qs + k);
                        FloatVector wLo = floats(q.and(LOW_NIBBLE), 0).fma(scaleLo, minLo);
                        FloatVector wHi = floats(shiftRight(q, 4).and(LOW_NIBBLE), 0).fma(scaleHi, minHi);
                        lo = wLo.fma(FloatVector.fromArray(F, x, xp + k), lo);
                        hi = wHi.fma(FloatVector.fromArray(F, x, xp + 32 + k), hi);
                    }
                    accLo = otherLo;
                    accHi = otherHi;
                    otherLo = lo;
                    otherHi = hi;
                }
            }
        }
        Vectors.sum2(accLo.add(accHi), otherLo.add(otherHi), out, out0, out1);
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

    /** Per thread: two rows' {@link #factors} of one super-block. */
    private static final ThreadLocal<float[]> FACTORS = ThreadLocal.withInitial(() -> new float[32]);

    /** Lanes 8..15, where {@link #factors} multiplies the mins (16 lanes only). */
    private static final VectorMask<Float> MIN_LANES = KVectors.W == 16 ? VectorMask.fromLong(F, 0xFF00L) : null;

    /**
     * d·scale j into {@code factors[at + j]} and −dmin·min j into {@code factors[at + 8 + j]} (j = 0..7) for the
     * super-block at {@code blk}, all 16 at once in float lanes (16 lanes only): the same products {@link #dot}
     * makes one at a time, and the pair loop then broadcasts each from memory, where making it from the packed
     * byte (shift, extract, convert, multiply, broadcast) per sub-block and row took a third of the time.
     */
    private static void factors(MemorySegment w, long blk, float[] factors, int at) {
        int dBits = w.get(LE_INT, blk + D); // d, then dmin
        long s0 = w.get(LE_LONG, blk + SCALES);
        int s8 = w.get(LE_INT, blk + SCALES + 8);
        ByteVector bytes = LongVector.broadcast(LongVector.SPECIES_128, scalesK4(s0, s8)).withLane(1, minsK4(s0, s8))
                .reinterpretAsBytes();
        FloatVector dOrMinusDmin = FloatVector.broadcast(F, lowHalf(dBits)).blend(-highHalf(dBits), MIN_LANES);
        floats(bytes, 0).mul(dOrMinusDmin).intoArray(factors, at);
    }
}
