package llm4j.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched products (prefill) for any weight type: a block of rows is decoded once into an F32
 * scratch, then multiplied with every token of the batch by a 1-row × 4-token register tile. The
 * decode costs one pass over the rows per batch instead of one per token, and the tile loads each
 * weight vector once for four tokens, so the loop is bound by FMA and load throughput rather than
 * by decoding (four independent accumulators also hide the FMA latency a single-row dot product
 * waits on).
 *
 * <p>Sums are F32 with a fixed lane order ({@link Vectors#sum}): the result differs from the
 * per-row kernels only by rounding (they scale each block's partial sum; here weights are scaled
 * first).
 */
public final class TiledMatMul {

    /** Batches smaller than this run the per-row kernels: decoding would not pay for itself. */
    public static final int MIN_BATCH = 4;
    /** Decoded rows per block: about 64 KB of F32, so a block stays in L2 while all tokens pass over it. */
    private static final int BLOCK_FLOATS = 16 * 1024;

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /** Per-thread decode buffer, grown on demand: no allocation once the largest layer has run. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private TiledMatMul() {
    }

    /** Rows decoded per block for rows of {@code cols} elements (at least 1). */
    static int blockRows(int cols) {
        return Math.max(1, BLOCK_FLOATS / cols);
    }

    /**
     * {@code out[t·rows + r] = row(r) · x[t·cols ..]} for {@code t < n} and {@code r} in
     * {@code [rowFrom, rowTo)}, decoding rows with {@link WeightTensor#dequantizeRow}.
     */
    public static void matMul(WeightTensor w, float[] x, int n, float[] out, int rowFrom, int rowTo) {
        int cols = w.cols();
        int rows = w.rows();
        int block = blockRows(cols);
        float[][] holder = SCRATCH.get();
        float[] scratch = holder[0];
        if (scratch.length < block * cols) {
            scratch = new float[block * cols];
            holder[0] = scratch;
        }
        for (int r0 = rowFrom; r0 < rowTo; r0 += block) {
            int count = Math.min(block, rowTo - r0);
            for (int i = 0; i < count; i++) {
                w.dequantizeRow(r0 + i, scratch, i * cols);
            }
            multiply(scratch, count, cols, x, n, out, rows, r0);
        }
    }

    /**
     * {@code out[t·outStride + outRow + i] = w[i·cols ..] · x[t·cols ..]} for {@code i < count},
     * {@code t < n}: F32 weights already decoded, rows back to back.
     */
    public static void multiply(float[] w, int count, int cols, float[] x, int n, float[] out, int outStride, int outRow) {
        int t = 0;
        for (; t + 4 <= n; t += 4) {
            for (int i = 0; i < count; i++) {
                tile1x4(w, i * cols, cols, x, t * cols, out, t * outStride + outRow + i, outStride);
            }
        }
        for (; t < n; t++) {
            for (int i = 0; i < count; i++) {
                out[t * outStride + outRow + i] = dot(w, i * cols, x, t * cols, cols);
            }
        }
    }

    /**
     * Row {@code w0} against tokens {@code x0 .. x0+3·cols}: four accumulators. (A 2-row × 4-token
     * tile measured no faster: its eight reductions push C2 past its inlining node budget, and the
     * last ones then run as un-intrinsified calls.)
     */
    private static void tile1x4(float[] w, int w0, int cols, float[] x, int x0, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int upper = F.loopBound(cols);
        int k = 0;
        for (; k < upper; k += L) {
            FloatVector v = FloatVector.fromArray(F, w, w0 + k);
            a0 = v.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        out[o] = finish(a0, w, w0, x, x0, k, cols);
        out[o + stride] = finish(a1, w, w0, x, x1, k, cols);
        out[o + 2 * stride] = finish(a2, w, w0, x, x2, k, cols);
        out[o + 3 * stride] = finish(a3, w, w0, x, x3, k, cols);
    }

    /** One row against one token (edges of the tile grid). */
    private static float dot(float[] w, int w0, float[] x, int x0, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(cols);
        int k = 0;
        for (; k < upper; k += L) {
            acc = FloatVector.fromArray(F, w, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), acc);
        }
        return finish(acc, w, w0, x, x0, k, cols);
    }

    /**
     * The lanes of {@code acc} folded, then the elements past the last whole vector (F32/F16 rows need
     * not be a multiple of the lanes) added one by one: for F32 weights this is the per-row kernel's
     * order exactly, so prefill and generation give the same bits.
     */
    private static float finish(FloatVector acc, float[] w, int w0, float[] x, int x0, int from, int cols) {
        float sum = Vectors.sum(acc);
        for (int k = from; k < cols; k++) {
            sum += w[w0 + k] * x[x0 + k];
        }
        return sum;
    }
}
