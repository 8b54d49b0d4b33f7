package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.scaleQ3;
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
import static llm4j.quant.format.Q3_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q3_KFormat.D;
import static llm4j.quant.format.Q3_KFormat.HMASK;
import static llm4j.quant.format.Q3_KFormat.QS;
import static llm4j.quant.format.Q3_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K · F32 with the Vector API. One pass over 16 qs bytes and 16 hmask bytes yields four 16-value
 * sub-blocks (bit pairs 0..3); each level (2 low bits | mask bit as bit 2) − 4 is built in byte
 * lanes, Σ(q − 4)·x is accumulated per sub-block and scaled once by d·scale.
 */
final class Q3_KVector {

    private static final byte TWO_BITS = 3;
    private static final byte BIT2 = 4;
    private static final byte BIAS = 4;

    private Q3_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = ZERO;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            for (int half = 0; half < 2; half++) {
                long qs = blk + QS + 32 * half;
                int xHalf = xOffset + b * QK_K + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    FloatVector dot0 = ZERO;
                    FloatVector dot1 = ZERO;
                    FloatVector dot2 = ZERO;
                    FloatVector dot3 = ZERO;
                    for (int k = l0; k < l0 + 16; k += BL) {
                        ByteVector q = load(w, qs + k);
                        ByteVector hm = load(w, blk + HMASK + k);
                        // the second half's mask bits are bits 4..7: bring them to 0..3
                        hm = half == 0 ? hm : shiftRight(hm, 4);
                        ByteVector q0 = q.and(TWO_BITS).or(shiftLeft(hm, 2).and(BIT2)).sub(BIAS);
                        ByteVector q1 = shiftRight(q, 2).and(TWO_BITS).or(shiftLeft(hm, 1).and(BIT2)).sub(BIAS);
                        ByteVector q2 = shiftRight(q, 4).and(TWO_BITS).or(hm.and(BIT2)).sub(BIAS);
                        ByteVector q3 = shiftRight(q, 6).and(TWO_BITS).or(shiftRight(hm, 1).and(BIT2)).sub(BIAS);
                        for (int part = 0; part < PARTS; part++) {
                            int i = xHalf + k + part * W;
                            dot0 = floats(q0, part).fma(FloatVector.fromArray(F, x, i), dot0);
                            dot1 = floats(q1, part).fma(FloatVector.fromArray(F, x, i + 32), dot1);
                            dot2 = floats(q2, part).fma(FloatVector.fromArray(F, x, i + 64), dot2);
                            dot3 = floats(q3, part).fma(FloatVector.fromArray(F, x, i + 96), dot3);
                        }
                    }
                    int sub = 8 * half + l0 / 16;
                    acc = addScaled(acc, dot0, d * scaleQ3(w, blk + SCALES, sub));
                    acc = addScaled(acc, dot1, d * scaleQ3(w, blk + SCALES, sub + 2));
                    acc = addScaled(acc, dot2, d * scaleQ3(w, blk + SCALES, sub + 4));
                    acc = addScaled(acc, dot3, d * scaleQ3(w, blk + SCALES, sub + 6));
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
