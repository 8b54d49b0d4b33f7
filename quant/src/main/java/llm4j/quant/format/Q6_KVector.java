package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.ZERO;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.D;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K · F32 with the Vector API. One pass over 16 bytes of each of ql[0..32), ql[32..64) and qh
 * yields four 16-value sub-blocks (one per 32-value group of the half); their levels q − 32 are
 * built in byte lanes, Σ(q − 32)·x is accumulated per sub-block and scaled once by d·scale.
 */
final class Q6_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte HIGH_PAIR = 0x30;
    private static final byte BIAS = 32;

    private Q6_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = ZERO;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            for (int half = 0; half < 2; half++) {
                long ql = blk + QL + 64 * half;
                long qh = blk + QH + 32 * half;
                int xHalf = xOffset + b * QK_K + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    FloatVector dot0 = ZERO;
                    FloatVector dot1 = ZERO;
                    FloatVector dot2 = ZERO;
                    FloatVector dot3 = ZERO;
                    for (int k = l0; k < l0 + 16; k += BL) {
                        ByteVector a = load(w, ql + k);
                        ByteVector c = load(w, ql + 32 + k);
                        ByteVector h = load(w, qh + k);
                        // group g takes qh bits 2g..2g+1 as level bits 4..5
                        ByteVector q0 = a.and(LOW_NIBBLE).or(shiftLeft(h, 4).and(HIGH_PAIR)).sub(BIAS);
                        ByteVector q1 = c.and(LOW_NIBBLE).or(shiftLeft(h, 2).and(HIGH_PAIR)).sub(BIAS);
                        ByteVector q2 = shiftRight(a, 4).and(LOW_NIBBLE).or(h.and(HIGH_PAIR)).sub(BIAS);
                        ByteVector q3 = shiftRight(c, 4).and(LOW_NIBBLE).or(shiftRight(h, 2).and(HIGH_PAIR)).sub(BIAS);
                        for (int part = 0; part < PARTS; part++) {
                            int i = xHalf + k + part * W;
                            dot0 = floats(q0, part).fma(FloatVector.fromArray(F, x, i), dot0);
                            dot1 = floats(q1, part).fma(FloatVector.fromArray(F, x, i + 32), dot1);
                            dot2 = floats(q2, part).fma(FloatVector.fromArray(F, x, i + 64), dot2);
                            dot3 = floats(q3, part).fma(FloatVector.fromArray(F, x, i + 96), dot3);
                        }
                    }
                    int sub = 8 * half + l0 / 16;
                    acc = addScaled(acc, dot0, d * Q6_KFormat.scale(w, blk, sub));
                    acc = addScaled(acc, dot1, d * Q6_KFormat.scale(w, blk, sub + 2));
                    acc = addScaled(acc, dot2, d * Q6_KFormat.scale(w, blk, sub + 4));
                    acc = addScaled(acc, dot3, d * Q6_KFormat.scale(w, blk, sub + 6));
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
