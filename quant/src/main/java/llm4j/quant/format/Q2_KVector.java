package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.u8;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.ZERO;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q2_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q2_KFormat.D;
import static llm4j.quant.format.Q2_KFormat.DMIN;
import static llm4j.quant.format.Q2_KFormat.QS;
import static llm4j.quant.format.Q2_KFormat.SCALES;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K · F32 with the Vector API. One pass over 16 qs bytes yields four 16-value sub-blocks (bit
 * pairs 0..3); per sub-block it accumulates Σq·x and Σx, then adds d·scale·Σq·x and subtracts
 * dmin·min·Σx.
 */
final class Q2_KVector {

    private static final byte TWO_BITS = 3;

    private Q2_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = ZERO;
        FloatVector minAcc = ZERO;
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            float d = half(w, blk + D);
            float dmin = half(w, blk + DMIN);
            for (int half = 0; half < 2; half++) {
                long qs = blk + QS + 32 * half;
                int xHalf = xOffset + b * QK_K + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    FloatVector dot0 = ZERO;
                    FloatVector dot1 = ZERO;
                    FloatVector dot2 = ZERO;
                    FloatVector dot3 = ZERO;
                    FloatVector sum0 = ZERO;
                    FloatVector sum1 = ZERO;
                    FloatVector sum2 = ZERO;
                    FloatVector sum3 = ZERO;
                    for (int k = l0; k < l0 + 16; k += BL) {
                        ByteVector q = load(w, qs + k);
                        ByteVector q0 = q.and(TWO_BITS);
                        ByteVector q1 = shiftRight(q, 2).and(TWO_BITS);
                        ByteVector q2 = shiftRight(q, 4).and(TWO_BITS);
                        ByteVector q3 = shiftRight(q, 6).and(TWO_BITS);
                        for (int part = 0; part < PARTS; part++) {
                            int i = xHalf + k + part * W;
                            FloatVector x0 = FloatVector.fromArray(F, x, i);
                            FloatVector x1 = FloatVector.fromArray(F, x, i + 32);
                            FloatVector x2 = FloatVector.fromArray(F, x, i + 64);
                            FloatVector x3 = FloatVector.fromArray(F, x, i + 96);
                            dot0 = floats(q0, part).fma(x0, dot0);
                            dot1 = floats(q1, part).fma(x1, dot1);
                            dot2 = floats(q2, part).fma(x2, dot2);
                            dot3 = floats(q3, part).fma(x3, dot3);
                            sum0 = sum0.add(x0);
                            sum1 = sum1.add(x1);
                            sum2 = sum2.add(x2);
                            sum3 = sum3.add(x3);
                        }
                    }
                    long sc = blk + SCALES + 8 * half + l0 / 16;
                    int s0 = u8(w, sc);
                    int s1 = u8(w, sc + 2);
                    int s2 = u8(w, sc + 4);
                    int s3 = u8(w, sc + 6);
                    acc = addScaled(acc, dot0, d * (s0 & 0xF));
                    acc = addScaled(acc, dot1, d * (s1 & 0xF));
                    acc = addScaled(acc, dot2, d * (s2 & 0xF));
                    acc = addScaled(acc, dot3, d * (s3 & 0xF));
                    minAcc = addScaled(minAcc, sum0, dmin * (s0 >> 4));
                    minAcc = addScaled(minAcc, sum1, dmin * (s1 >> 4));
                    minAcc = addScaled(minAcc, sum2, dmin * (s2 >> 4));
                    minAcc = addScaled(minAcc, sum3, dmin * (s3 >> 4));
                }
            }
        }
        return acc.sub(minAcc).reduceLanes(VectorOperators.ADD);
    }
}
