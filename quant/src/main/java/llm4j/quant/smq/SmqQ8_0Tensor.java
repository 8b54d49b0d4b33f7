package llm4j.quant.smq;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static llm4j.quant.smq.SmqSpecies.B;
import static llm4j.quant.smq.SmqSpecies.BYTES;
import static llm4j.quant.smq.SmqSpecies.F;
import static llm4j.quant.smq.SmqSpecies.L;
import static llm4j.quant.smq.SmqSpecies.LE;
import static llm4j.quant.smq.SmqSpecies.PARTS;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import llm4j.quant.Vectors;

/** SMQ Q8_0: one signed byte per element, value = code · scale[i / blockSize]. */
public final class SmqQ8_0Tensor extends SmqBlockTensor {

    SmqQ8_0Tensor(MemorySegment codes, MemorySegment scales, int rows, int cols, int blockSize, boolean scalar) {
        super(SmqScheme.Q8_0, codes, scales, rows, cols, blockSize, scalar ? SmqQ8_0Tensor::dotScalar : SmqQ8_0Tensor::dotVector, !scalar);
    }

    @Override
    public SmqScheme scheme() {
        return SmqScheme.Q8_0;
    }

    @Override
    int code(long index) {
        return codes.get(JAVA_BYTE, index);
    }

    /** The oracle: every element decoded to code·scale, then multiplied and summed in order. */
    static float dotScalar(MemorySegment codes, MemorySegment scales, long blockSize, long first, int n, float[] x, int xOffset) {
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            long i = first + j;
            sum += codes.get(JAVA_BYTE, i) * scale(scales, i / blockSize) * x[xOffset + j];
        }
        return sum;
    }

    /**
     * Per block segment: bytes widened to float lanes and multiplied into a segment sum, scaled once. Lanes a
     * segment cannot fill (short blocks, row edges) are summed in scalar.
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
            int k = 0;
            if (len >= BYTES) {
                FloatVector segment = FloatVector.zero(F);
                for (; k + BYTES <= len; k += BYTES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, codes, i + k, LE);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                        segment = w.fma(FloatVector.fromArray(F, x, xo + k + p * L), segment);
                    }
                }
                acc = segment.fma(FloatVector.broadcast(F, s), acc);
            }
            float rest = 0f;
            for (; k < len; k++) {
                rest += codes.get(JAVA_BYTE, i + k) * x[xo + k];
            }
            tail += rest * s;
            i += len;
        }
        return Vectors.sum(acc) + tail;
    }
}
