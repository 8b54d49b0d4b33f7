package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.Vectors;

/** Plain little-endian float32. */
public final class F32Format implements QuantFormat {

    public static final F32Format INSTANCE = new F32Format();

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private F32Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        MemorySegment.copy(src, LE_FLOAT, offset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        MemorySegment.copy(src, srcOffset, dst, LE_FLOAT, offset, n);
    }

    @Override
    public RowKernel scalarKernel() {
        return F32Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return F32Format::dotVector;
    }

    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += w.get(LE_FLOAT, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    static float dotVector(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        VectorSpecies<Float> species = Vectors.F;
        FloatVector acc = FloatVector.zero(species);
        int upper = species.loopBound(n);
        int i = 0;
        for (; i < upper; i += species.length()) {
            FloatVector wv = FloatVector.fromMemorySegment(species, w, offset + 4L * i, ByteOrder.LITTLE_ENDIAN);
            acc = wv.fma(FloatVector.fromArray(species, x, xOffset + i), acc);
        }
        float sum = Vectors.sum(acc);
        for (; i < n; i++) {
            sum += w.get(LE_FLOAT, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    /** Crossover with the pair kernels measured at 24 tokens (decoding is a copy; see QuantFormat). */
    @Override
    public int tiledMinBatch() {
        return 24;
    }
}
