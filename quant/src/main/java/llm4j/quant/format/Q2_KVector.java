package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_INT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.PARTS;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.addScaled;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.highHalf;
import static llm4j.quant.format.KVectors.load;
import static llm4j.quant.format.KVectors.lowHalf;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q2_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q2_KFormat.D;
import static llm4j.quant.format.Q2_KFormat.QS;
import static llm4j.quant.format.Q2_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K · F32 with the Vector API, one 16-value sub-block at a time: it accumulates Σq·x and Σx in
 * float lanes, then adds d·scale·Σq·x and subtracts dmin·min·Σx.
 */
final class Q2_KVector {

    private static final byte TWO_BITS = 3;

    private Q2_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        FloatVector minAcc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            int dBits = w.get(LE_INT, blk + D); // d, then dmin
            float d = lowHalf(dBits);
            float dmin = highHalf(dBits);
            int xBlock = xOffset + b * QK_K;
            // sub-block s = 8·half + 2·g + lh covers values 16s..; its levels are bit pair g
            for (int s = 0; s < 16; s++) {
                long qs = blk + QS + 32 * (s >> 3) + 16 * (s & 1);
                int shift = 2 * ((s >> 1) & 3);
                FloatVector dot = FloatVector.zero(F);
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < 16; k += BL) {
                    ByteVector q = shiftRight(load(w, qs + k), shift).and(TWO_BITS);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xBlock + 16 * s + k + part * W);
                        dot = floats(q, part).fma(xv, dot);
                        sum = sum.add(xv);
                    }
                }
                int sc = w.get(ValueLayout.JAVA_BYTE, blk + SCALES + s);
                acc = addScaled(acc, dot, d * (sc & 0xF));
                minAcc = addScaled(minAcc, sum, dmin * ((sc >> 4) & 0xF));
            }
        }
        return Vectors.sum(acc.sub(minAcc));
    }
}
