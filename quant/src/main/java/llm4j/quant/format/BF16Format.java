package llm4j.quant.format;

import static llm4j.quant.format.LegacyBlocks.LE_SHORT;

import java.lang.foreign.MemorySegment;

import llm4j.quant.GgmlType;
import llm4j.quant.PairKernel;
import llm4j.quant.QuantFormat;
import llm4j.quant.RowKernel;
import llm4j.quant.kernel.BF16Kernel;

/** bfloat16 (the upper 16 bits of a float32), little-endian. */
public final class BF16Format implements QuantFormat {

    public static final BF16Format INSTANCE = new BF16Format();

    private BF16Format() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = HalfFloats.bf16ToFloat(src.get(LE_SHORT, offset + 2L * i));
        }
    }

    /** In vector lanes: prefill decodes every weight once per batch. */
    @Override
    public void vectorDequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        BF16Kernel.dequantize(src, offset, dst, dstOffset, n);
    }

    /**
     * Crossover with the per-row kernels since session 11's vector panel decoder (135M BF16, t=1, 512 bits: pp8 122
     * token by token against 89 tiled; pp12 128 against 143 and pp16 175 against 184, both within the noise, so 16).
     */
    @Override
    public int tiledMinBatch() {
        return 16;
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(LE_SHORT, offset + 2L * i, HalfFloats.floatToBf16(src[srcOffset + i]));
        }
    }

    @Override
    public RowKernel scalarKernel() {
        return BF16Format::dotScalar;
    }

    @Override
    public RowKernel vectorKernel() {
        return BF16Kernel::dot;
    }

    @Override
    public PairKernel vectorPairKernel() {
        return BF16Kernel.PAIRED ? BF16Kernel::dot2 : null;
    }

    static float dotScalar(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += HalfFloats.bf16ToFloat(w.get(LE_SHORT, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }
}
