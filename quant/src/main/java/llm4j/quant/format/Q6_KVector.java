package llm4j.quant.format;

import llm4j.quant.Vectors;
import static llm4j.quant.format.KQuants.LE_SHORT;
import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.BL;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.KVectors.floats;
import static llm4j.quant.format.KVectors.load16;
import static llm4j.quant.format.KVectors.shiftLeft;
import static llm4j.quant.format.KVectors.shiftRight;
import static llm4j.quant.format.Q6_KFormat.BLOCK_BYTES;
import static llm4j.quant.format.Q6_KFormat.D;
import static llm4j.quant.format.Q6_KFormat.QH;
import static llm4j.quant.format.Q6_KFormat.QL;
import static llm4j.quant.format.Q6_KFormat.SCALES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q6_K · F32 with the Vector API, one 16-value sub-block at a time: its levels q − 32 are built in
 * byte lanes from a nibble of ql and a bit pair of qh, Σ(q − 32)·x is accumulated in float lanes
 * and scaled once by d·scale.
 */
final class Q6_KVector {

    private static final byte LOW_NIBBLE = 0x0F;
    private static final byte TWO_BITS = 3;
    private static final byte BIAS = 32;

    /** Scales one float vector holds. */
    private static final int PER_VECTOR = Math.min(W, 16);
    private static final VectorShuffle<Float> NEXT = VectorShuffle.fromOp(F, i -> (i + 1) % W);
    private static final VectorShuffle<Float> LANE0 = VectorShuffle.fromOp(F, i -> 0);

    private Q6_KVector() {
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        int blocks = KQuants.superBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long blk = offset + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, blk + D)));
            ByteVector scaleBytes = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, blk + SCALES, ByteOrder.LITTLE_ENDIAN);
            int xBlock = xOffset + b * QK_K;
            // the scales of W sub-blocks at a time in float lanes; each sub-block broadcasts lane 0,
            // then the next scale is rotated down
            for (int first = 0; first < 16; first += PER_VECTOR) {
                FloatVector scales = floats(scaleBytes, first / PER_VECTOR).mul(d);
                for (int s = first; s < first + PER_VECTOR; s++) {
                    // sub-block s = 8·half + 2·g + lh covers values 16s.. (g: 32-value group of the half)
                    int half = s >> 3;
                    int g = (s >> 1) & 3;
                    int lh = s & 1;
                    long ql = blk + QL + 64 * half + 32 * (g & 1) + 16 * lh;
                    long qh = blk + QH + 32 * half + 16 * lh;
                    int nibble = 4 * (g >> 1);
                    FloatVector dot = FloatVector.zero(F);
                    for (int k = 0; k < 16; k += BL) {
                        ByteVector low = shiftRight(load16(w, ql + k), nibble).and(LOW_NIBBLE);
                        ByteVector high = shiftLeft(shiftRight(load16(w, qh + k), 2 * g).and(TWO_BITS), 4);
                        ByteVector q = low.or(high).sub(BIAS);
                        dot = floats(q, 0).fma(FloatVector.fromArray(F, x, xBlock + 16 * s + k), dot);
                    }
                    acc = dot.fma(scales.rearrange(LANE0), acc);
                    scales = scales.rearrange(NEXT);
                }
            }
        }
        return Vectors.sum(acc);
    }
}
