package llm4j.quant.smq;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.smq.SmqSpecies.B;
import static llm4j.quant.smq.SmqSpecies.BYTES;
import static llm4j.quant.smq.SmqSpecies.F;
import static llm4j.quant.smq.SmqSpecies.L;
import static llm4j.quant.smq.SmqSpecies.LE;
import static llm4j.quant.smq.SmqSpecies.PARTS;
import static llm4j.quant.smq.SmqSpecies.ZIP;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;

/**
 * SMQ Q4_0: 4-bit two's-complement codes (-8..7, no +8 bias), paired over the global flat index: element i sits in
 * byte {@code i >> 1}, in the low nibble when i is even. Value = code · scale[i / blockSize].
 */
public final class SmqQ4_0Tensor extends SmqBlockTensor {

    SmqQ4_0Tensor(MemorySegment codes, MemorySegment scales, int rows, int cols, int blockSize, boolean scalar) {
        super(SmqScheme.Q4_0, codes, scales, rows, cols, blockSize, scalar ? SmqQ4_0Tensor::dotScalar : SmqQ4_0Tensor::dotVector, !scalar);
    }

    @Override
    public SmqScheme scheme() {
        return SmqScheme.Q4_0;
    }

    @Override
    int code(long index) {
        return nibble(codes, index);
    }

    /** The signed nibble of flat element {@code i}. */
    static int nibble(MemorySegment codes, long i) {
        int packed = codes.get(JAVA_BYTE, i >> 1);
        return (i & 1) == 0 ? (packed << 28) >> 28 : packed >> 4;
    }

    /** The oracle: every element decoded to code·scale, then multiplied and summed in order. */
    static float dotScalar(MemorySegment codes, MemorySegment scales, long blockSize, long first, int n, float[] x, int xOffset) {
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            long i = first + j;
            sum += nibble(codes, i) * scale(scales, i / blockSize) * x[xOffset + j];
        }
        return sum;
    }

    /**
     * Per block segment, from an even element on: one byte load holds 2·BYTES codes; shifting sign-extends the low
     * and high nibbles, a two-vector rearrange puts them back in element order, and they widen to float lanes.
     * An odd first element and lanes a segment cannot fill are summed in scalar.
     */
    static float dotVector(MemorySegment codes, MemorySegment scales, long blockSize, long first, int n, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        float tail = 0f;
        long end = first + n;
        for (long i = first; i < end; ) {
            long block = i / blockSize;
            int len = (int) (Math.min(end, (block + 1) * blockSize) - i);
            float s = scale(scales, block);
            int xo = xOffset + (int) (i - first);
            float rest = 0f;
            int k = 0;
            if ((i & 1) == 1) {
                rest += nibble(codes, i) * x[xo];
                k = 1;
            }
            if (len - k >= 2 * BYTES) {
                FloatVector segment = FloatVector.zero(F);
                for (; k + 2 * BYTES <= len; k += 2 * BYTES) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, codes, (i + k) >> 1, LE);
                    ByteVector low = packed.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 4);
                    ByteVector high = packed.lanewise(VectorOperators.ASHR, 4);
                    for (int h = 0; h < 2; h++) {
                        ByteVector q = low.rearrange(ZIP[h], high);
                        for (int p = 0; p < PARTS; p++) {
                            FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                            segment = w.fma(FloatVector.fromArray(F, x, xo + k + h * BYTES + p * L), segment);
                        }
                    }
                }
                acc = segment.fma(FloatVector.broadcast(F, s), acc);
            }
            for (; k < len; k++) {
                rest += nibble(codes, i + k) * x[xo + k];
            }
            tail += rest * s;
            i += len;
        }
        return Vectors.sum(acc) + tail;
    }
}
