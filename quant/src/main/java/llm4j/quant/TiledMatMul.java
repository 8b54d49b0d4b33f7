package llm4j.quant;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched products (prefill) for any weight type, as a small GEMM. A panel of {@link #PANEL_ROWS}
 * rows is decoded once, row by row, and transposed into an F32 scratch laid out column-major (element k
 * of every row of the panel side by side), then every token of the batch passes over it in register tiles: each step
 * loads a few vectors of the panel (one element of many rows), broadcasts one activation per token
 * and does an FMA for every (vector, token) pair. Loads per FMA fall to about a third of a
 * dot-product tile's, the accumulators are the outputs themselves (no horizontal sums), and
 * decoding is paid once per batch.
 *
 * <p>Every output is {@code fma(w[k], x[k], acc)} for k = 0, 1, ... in order from zero, in every
 * path (tile, edge column, partial panel): bit-identical to the scalar chain
 * {@link #sequentialDot}, which is the test oracle. It differs from the per-row generation kernels
 * only by rounding.
 */
public final class TiledMatMul {

    /**
     * The smallest batch worth tiling for any tensor; formats with pair kernels ask for more
     * ({@link QuantFormat#tiledMinBatch()}, via {@link WeightTensor#tiles}).
     */
    public static final int MIN_BATCH = 4;

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /**
     * The tile shape fits the register file: 512-bit vectors imply AVX-512's 32 registers, room for
     * 3 × 8 accumulators plus 3 weights and a broadcast; narrower vectors may have only 16 (AVX2), so
     * 2 × 6. Measured on Zen 4 (576 × 192 panel, 64 tokens, one thread): 3 × 8 about 2× the previous
     * 1-row × 4-token dot tile at 512 bits; 2 × 6 1.3× at 256 bits with 16 registers (docs/performance.md).
     */
    private static final boolean WIDE = L >= 16;
    private static final int TILE_VECTORS = WIDE ? 3 : 2;
    private static final int TILE_TOKENS = WIDE ? 8 : 6;
    /** Rows per panel. Parallel callers split row ranges at multiples of it, so only a matrix's last panel is partial. */
    public static final int PANEL_ROWS = TILE_VECTORS * L;

    /** Per-thread panel and decoded-rows buffers, grown on demand: no allocation once the widest layer has run. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private TiledMatMul() {
    }

    /**
     * {@code out[t·rows + r] = row(r) · x[t·cols ..]} for {@code t < n} and {@code r} in
     * {@code [rowFrom, rowTo)}, decoding rows with {@link WeightTensor#dequantizeRow}.
     */
    public static void matMul(WeightTensor w, float[] x, int n, float[] out, int rowFrom, int rowTo) {
        int cols = w.cols();
        int rows = w.rows();
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < PANEL_ROWS * cols) {
            scratch[0] = new float[PANEL_ROWS * cols];
            scratch[1] = new float[PANEL_ROWS * cols];
        }
        float[] panel = scratch[0];
        float[] decoded = scratch[1];
        for (int r0 = rowFrom; r0 < rowTo; r0 += PANEL_ROWS) {
            int count = Math.min(PANEL_ROWS, rowTo - r0);
            for (int i = 0; i < count; i++) {
                w.dequantizeRow(r0 + i, decoded, i * cols);
            }
            if (count < PANEL_ROWS) {
                Arrays.fill(decoded, count * cols, PANEL_ROWS * cols, 0f);
            }
            PanelTranspose.transpose(decoded, cols, panel);
            multiplyPanel(panel, count, cols, x, n, out, rows, r0);
        }
    }

    /**
     * {@code out[t·outStride + outRow + i] = panel row i · x[t·cols ..]} for {@code i < count} and
     * {@code t < n}; {@code panel} holds {@link #PANEL_ROWS} decoded rows column-major (rows past
     * {@code count} zero).
     */
    static void multiplyPanel(float[] panel, int count, int cols, float[] x, int n, float[] out, int outStride, int outRow) {
        int t = 0;
        if (count == PANEL_ROWS) {
            for (; t + TILE_TOKENS <= n; t += TILE_TOKENS) {
                if (WIDE) {
                    tile3x8(panel, cols, x, t, out, outStride, outRow);
                } else {
                    tile2x6(panel, cols, x, t, out, outStride, outRow);
                }
            }
            if (t + TILE_TOKENS / 2 <= n) {
                if (WIDE) {
                    tile3x4(panel, cols, x, t, out, outStride, outRow);
                } else {
                    tile2x3(panel, cols, x, t, out, outStride, outRow);
                }
                t += TILE_TOKENS / 2;
            }
        }
        for (; t < n; t++) {
            column(panel, count, cols, x, t, out, outStride, outRow);
        }
    }

    /** The panel against one token (the batch's last tokens, a partial panel): stores only {@code count} rows. */
    private static void column(float[] panel, int count, int cols, float[] x, int t, float[] out, int outStride, int outRow) {
        int x0 = t * cols;
        int o = t * outStride + outRow;
        for (int v = 0; v < TILE_VECTORS && v * L < count; v++) {
            FloatVector acc = FloatVector.zero(F);
            for (int k = 0, p = v * L; k < cols; k++, p += PANEL_ROWS) {
                acc = FloatVector.fromArray(F, panel, p).fma(FloatVector.broadcast(F, x[x0 + k]), acc);
            }
            if ((v + 1) * L <= count) {
                acc.intoArray(out, o + v * L);
            } else {
                VectorMask<Float> valid = F.indexInRange(v * L, count);
                acc.intoArray(out, o + v * L, valid);
            }
        }
    }

    /** The oracle: the same products one at a time, {@code acc = fma(w[k], x[k], acc)} from k = 0. */
    public static float sequentialDot(float[] w, int w0, float[] x, int x0, int cols) {
        float acc = 0f;
        for (int k = 0; k < cols; k++) {
            acc = Math.fma(w[w0 + k], x[x0 + k], acc);
        }
        return acc;
    }

    /** 3 row vectors × 8 tokens: 24 accumulators; per step 3 weight loads and 8 broadcasts feed 24 FMAs. */
    private static void tile3x8(float[] panel, int cols, float[] x, int t0, float[] out, int outStride, int outRow) {
        int x0 = (t0 + 0) * cols; int x1 = (t0 + 1) * cols; int x2 = (t0 + 2) * cols; int x3 = (t0 + 3) * cols; int x4 = (t0 + 4) * cols; int x5 = (t0 + 5) * cols; int x6 = (t0 + 6) * cols; int x7 = (t0 + 7) * cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a24 = z, a25 = z, a26 = z, a27 = z;
        for (int k = 0, p = 0; k < cols; k++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(F, panel, p); FloatVector w1 = FloatVector.fromArray(F, panel, p + 1 * L); FloatVector w2 = FloatVector.fromArray(F, panel, p + 2 * L);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(b0, a00); a10 = w1.fma(b0, a10); a20 = w2.fma(b0, a20);
            FloatVector b1 = FloatVector.broadcast(F, x[x1 + k]);
            a01 = w0.fma(b1, a01); a11 = w1.fma(b1, a11); a21 = w2.fma(b1, a21);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + k]);
            a02 = w0.fma(b2, a02); a12 = w1.fma(b2, a12); a22 = w2.fma(b2, a22);
            FloatVector b3 = FloatVector.broadcast(F, x[x3 + k]);
            a03 = w0.fma(b3, a03); a13 = w1.fma(b3, a13); a23 = w2.fma(b3, a23);
            FloatVector b4 = FloatVector.broadcast(F, x[x4 + k]);
            a04 = w0.fma(b4, a04); a14 = w1.fma(b4, a14); a24 = w2.fma(b4, a24);
            FloatVector b5 = FloatVector.broadcast(F, x[x5 + k]);
            a05 = w0.fma(b5, a05); a15 = w1.fma(b5, a15); a25 = w2.fma(b5, a25);
            FloatVector b6 = FloatVector.broadcast(F, x[x6 + k]);
            a06 = w0.fma(b6, a06); a16 = w1.fma(b6, a16); a26 = w2.fma(b6, a26);
            FloatVector b7 = FloatVector.broadcast(F, x[x7 + k]);
            a07 = w0.fma(b7, a07); a17 = w1.fma(b7, a17); a27 = w2.fma(b7, a27);
        }
        int o0 = (t0 + 0) * outStride + outRow;
        a00.intoArray(out, o0); a10.intoArray(out, o0 + 1 * L); a20.intoArray(out, o0 + 2 * L);
        int o1 = (t0 + 1) * outStride + outRow;
        a01.intoArray(out, o1); a11.intoArray(out, o1 + 1 * L); a21.intoArray(out, o1 + 2 * L);
        int o2 = (t0 + 2) * outStride + outRow;
        a02.intoArray(out, o2); a12.intoArray(out, o2 + 1 * L); a22.intoArray(out, o2 + 2 * L);
        int o3 = (t0 + 3) * outStride + outRow;
        a03.intoArray(out, o3); a13.intoArray(out, o3 + 1 * L); a23.intoArray(out, o3 + 2 * L);
        int o4 = (t0 + 4) * outStride + outRow;
        a04.intoArray(out, o4); a14.intoArray(out, o4 + 1 * L); a24.intoArray(out, o4 + 2 * L);
        int o5 = (t0 + 5) * outStride + outRow;
        a05.intoArray(out, o5); a15.intoArray(out, o5 + 1 * L); a25.intoArray(out, o5 + 2 * L);
        int o6 = (t0 + 6) * outStride + outRow;
        a06.intoArray(out, o6); a16.intoArray(out, o6 + 1 * L); a26.intoArray(out, o6 + 2 * L);
        int o7 = (t0 + 7) * outStride + outRow;
        a07.intoArray(out, o7); a17.intoArray(out, o7 + 1 * L); a27.intoArray(out, o7 + 2 * L);
    }

    /**
     * Half a {@link #tile3x8} for a batch's last 4-7 tokens, which the one-token column would otherwise take one at a
     * time, reloading the panel for each (1B Q4_K_M pp20 ran below pp16 before it).
     */
    private static void tile3x4(float[] panel, int cols, float[] x, int t0, float[] out, int outStride, int outRow) {
        int x0 = (t0 + 0) * cols; int x1 = (t0 + 1) * cols; int x2 = (t0 + 2) * cols; int x3 = (t0 + 3) * cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z;
        for (int k = 0, p = 0; k < cols; k++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(F, panel, p); FloatVector w1 = FloatVector.fromArray(F, panel, p + 1 * L); FloatVector w2 = FloatVector.fromArray(F, panel, p + 2 * L);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(b0, a00); a10 = w1.fma(b0, a10); a20 = w2.fma(b0, a20);
            FloatVector b1 = FloatVector.broadcast(F, x[x1 + k]);
            a01 = w0.fma(b1, a01); a11 = w1.fma(b1, a11); a21 = w2.fma(b1, a21);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + k]);
            a02 = w0.fma(b2, a02); a12 = w1.fma(b2, a12); a22 = w2.fma(b2, a22);
            FloatVector b3 = FloatVector.broadcast(F, x[x3 + k]);
            a03 = w0.fma(b3, a03); a13 = w1.fma(b3, a13); a23 = w2.fma(b3, a23);
        }
        int o0 = (t0 + 0) * outStride + outRow;
        a00.intoArray(out, o0); a10.intoArray(out, o0 + 1 * L); a20.intoArray(out, o0 + 2 * L);
        int o1 = (t0 + 1) * outStride + outRow;
        a01.intoArray(out, o1); a11.intoArray(out, o1 + 1 * L); a21.intoArray(out, o1 + 2 * L);
        int o2 = (t0 + 2) * outStride + outRow;
        a02.intoArray(out, o2); a12.intoArray(out, o2 + 1 * L); a22.intoArray(out, o2 + 2 * L);
        int o3 = (t0 + 3) * outStride + outRow;
        a03.intoArray(out, o3); a13.intoArray(out, o3 + 1 * L); a23.intoArray(out, o3 + 2 * L);
    }

    /** 2 row vectors × 6 tokens: 12 accumulators; per step 2 weight loads and 6 broadcasts feed 12 FMAs. */
    private static void tile2x6(float[] panel, int cols, float[] x, int t0, float[] out, int outStride, int outRow) {
        int x0 = (t0 + 0) * cols; int x1 = (t0 + 1) * cols; int x2 = (t0 + 2) * cols; int x3 = (t0 + 3) * cols; int x4 = (t0 + 4) * cols; int x5 = (t0 + 5) * cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        for (int k = 0, p = 0; k < cols; k++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(F, panel, p); FloatVector w1 = FloatVector.fromArray(F, panel, p + 1 * L);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(b0, a00); a10 = w1.fma(b0, a10);
            FloatVector b1 = FloatVector.broadcast(F, x[x1 + k]);
            a01 = w0.fma(b1, a01); a11 = w1.fma(b1, a11);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + k]);
            a02 = w0.fma(b2, a02); a12 = w1.fma(b2, a12);
            FloatVector b3 = FloatVector.broadcast(F, x[x3 + k]);
            a03 = w0.fma(b3, a03); a13 = w1.fma(b3, a13);
            FloatVector b4 = FloatVector.broadcast(F, x[x4 + k]);
            a04 = w0.fma(b4, a04); a14 = w1.fma(b4, a14);
            FloatVector b5 = FloatVector.broadcast(F, x[x5 + k]);
            a05 = w0.fma(b5, a05); a15 = w1.fma(b5, a15);
        }
        int o0 = (t0 + 0) * outStride + outRow;
        a00.intoArray(out, o0); a10.intoArray(out, o0 + 1 * L);
        int o1 = (t0 + 1) * outStride + outRow;
        a01.intoArray(out, o1); a11.intoArray(out, o1 + 1 * L);
        int o2 = (t0 + 2) * outStride + outRow;
        a02.intoArray(out, o2); a12.intoArray(out, o2 + 1 * L);
        int o3 = (t0 + 3) * outStride + outRow;
        a03.intoArray(out, o3); a13.intoArray(out, o3 + 1 * L);
        int o4 = (t0 + 4) * outStride + outRow;
        a04.intoArray(out, o4); a14.intoArray(out, o4 + 1 * L);
        int o5 = (t0 + 5) * outStride + outRow;
        a05.intoArray(out, o5); a15.intoArray(out, o5 + 1 * L);
    }

    /** Half a {@link #tile2x6}, for a batch's last 3-5 tokens (as {@link #tile3x4} on the wide path). */
    private static void tile2x3(float[] panel, int cols, float[] x, int t0, float[] out, int outStride, int outRow) {
        int x0 = (t0 + 0) * cols; int x1 = (t0 + 1) * cols; int x2 = (t0 + 2) * cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z;
        FloatVector a10 = z, a11 = z, a12 = z;
        for (int k = 0, p = 0; k < cols; k++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(F, panel, p); FloatVector w1 = FloatVector.fromArray(F, panel, p + 1 * L);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(b0, a00); a10 = w1.fma(b0, a10);
            FloatVector b1 = FloatVector.broadcast(F, x[x1 + k]);
            a01 = w0.fma(b1, a01); a11 = w1.fma(b1, a11);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + k]);
            a02 = w0.fma(b2, a02); a12 = w1.fma(b2, a12);
        }
        int o0 = (t0 + 0) * outStride + outRow;
        a00.intoArray(out, o0); a10.intoArray(out, o0 + 1 * L);
        int o1 = (t0 + 1) * outStride + outRow;
        a01.intoArray(out, o1); a11.intoArray(out, o1 + 1 * L);
        int o2 = (t0 + 2) * outStride + outRow;
        a02.intoArray(out, o2); a12.intoArray(out, o2 + 1 * L);
    }
}
