package llm4j.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched products (prefill) for any weight type: a block of rows is decoded once into an F32
 * scratch, then multiplied with every token of the batch by a 2-row × 4-token register tile. The
 * decode costs one pass over the rows per batch instead of one per token, and the tile loads each
 * weight vector once for four tokens and each activation vector once for two rows, so the loop is
 * bound by FMA throughput rather than by decoding or loads (8 independent accumulators also hide
 * the FMA latency a single-row dot product waits on).
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

    /** Rows decoded per block for rows of {@code cols} elements (even, at least 2). */
    static int blockRows(int cols) {
        return Math.max(2, (BLOCK_FLOATS / cols) & ~1);
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
            int i = 0;
            for (; i + 2 <= count; i += 2) {
                tile2x4(w, i * cols, cols, x, t * cols, out, t * outStride + outRow + i, outStride);
            }
            for (; i < count; i++) {
                for (int u = 0; u < 4; u++) {
                    out[(t + u) * outStride + outRow + i] = dot(w, i * cols, x, (t + u) * cols, cols);
                }
            }
        }
        for (; t < n; t++) {
            for (int i = 0; i < count; i++) {
                out[t * outStride + outRow + i] = dot(w, i * cols, x, t * cols, cols);
            }
        }
    }

    /** Rows {@code w0}, {@code w0+cols} against tokens {@code x0 .. x0+3·cols}: eight accumulators. */
    private static void tile2x4(float[] w, int w0, int cols, float[] x, int x0, float[] out, int o, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a02 = FloatVector.zero(F);
        FloatVector a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a12 = FloatVector.zero(F);
        FloatVector a13 = FloatVector.zero(F);
        int w1 = w0 + cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int upper = F.loopBound(cols);
        int k = 0;
        for (; k < upper; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + k);
            FloatVector v1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector y = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(y, a00);
            a10 = v1.fma(y, a10);
            y = FloatVector.fromArray(F, x, x1 + k);
            a01 = v0.fma(y, a01);
            a11 = v1.fma(y, a11);
            y = FloatVector.fromArray(F, x, x2 + k);
            a02 = v0.fma(y, a02);
            a12 = v1.fma(y, a12);
            y = FloatVector.fromArray(F, x, x3 + k);
            a03 = v0.fma(y, a03);
            a13 = v1.fma(y, a13);
        }
        out[o] = Vectors.sum(a00) + tail(w, w0, x, x0, k, cols);
        out[o + 1] = Vectors.sum(a10) + tail(w, w1, x, x0, k, cols);
        out[o + stride] = Vectors.sum(a01) + tail(w, w0, x, x1, k, cols);
        out[o + stride + 1] = Vectors.sum(a11) + tail(w, w1, x, x1, k, cols);
        out[o + 2 * stride] = Vectors.sum(a02) + tail(w, w0, x, x2, k, cols);
        out[o + 2 * stride + 1] = Vectors.sum(a12) + tail(w, w1, x, x2, k, cols);
        out[o + 3 * stride] = Vectors.sum(a03) + tail(w, w0, x, x3, k, cols);
        out[o + 3 * stride + 1] = Vectors.sum(a13) + tail(w, w1, x, x3, k, cols);
    }

    /** One row against one token (edges of the tile grid). */
    private static float dot(float[] w, int w0, float[] x, int x0, int cols) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(cols);
        int k = 0;
        for (; k < upper; k += L) {
            acc = FloatVector.fromArray(F, w, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), acc);
        }
        return Vectors.sum(acc) + tail(w, w0, x, x0, k, cols);
    }

    /** Elements past the last whole vector (rows of F32/F16 types need not be a multiple of the lanes). */
    private static float tail(float[] w, int w0, float[] x, int x0, int from, int cols) {
        float sum = 0f;
        for (int k = from; k < cols; k++) {
            sum += w[w0 + k] * x[x0 + k];
        }
        return sum;
    }
}
