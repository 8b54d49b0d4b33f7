package llm4j.quant.format;

import static llm4j.quant.format.LegacyBlocks.LE_SHORT;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.F16Kernel;

/** IEEE binary16, little-endian. */
public final class F16Format implements QuantFormat {

    public static final F16Format INSTANCE = new F16Format();

    private F16Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = HalfFloats.f16ToFloat(src.get(LE_SHORT, offset + 2L * i));
        }
    }

    /** In vector lanes: prefill decodes every weight once per batch. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        F16Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(LE_SHORT, offset + 2L * i, HalfFloats.floatToF16(src[srcOffset + i]));
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return F16Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return F16Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return F16Kernel::dot2;
    }

    /** Σ w·x in element order; public because the vector kernel falls back to it for Inf/NaN rows. */
    public static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += HalfFloats.f16ToFloat(w.get(LE_SHORT, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * Crossover with the pair kernels: 24 tokens with the scalar panel decoder; 8 since session 11's vector decoder,
     * register transposition and 4-token tile (135M F16, t=1, 512 bits: pp8 91 token by token against 110 tiled,
     * pp12 100 against 122, pp16 102 against 178).
     */
    @Override
    public int tiledMinBatch() {
        return 8;
    }
}
