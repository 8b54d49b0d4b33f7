package llm4j.quant.kv;

import jdk.incubator.vector.FloatVector;

/**
 * One storage type of the K/V cache: how a chunk of {@code n} floats becomes bytes, and the two
 * attention kernels that read those bytes back without materialising a float copy: the dot product
 * of a query with stored keys and the weighted accumulation of stored values.
 *
 * <p>A chunk is the unit of encoding: one head when {@code head_dim} is a multiple of
 * {@link #blockSize()}, otherwise a token's whole (zero-padded) K or V row. The kernels therefore
 * address an element range {@code [start, start + len)} inside a chunk, so a small head can be a
 * slice of a row-wide block. Block-aligned ranges take the Vector API path; other ranges take the
 * scalar path, which is also the oracle the vector path is tested against.
 */
public abstract class KvCodec {

    private final String name;

    protected KvCodec(String name) {
        this.name = name;
    }

    /** The type's name as the command line spells it ({@code q8_0}). */
    public final String name() {
        return name;
    }

    /** Elements per block; chunk lengths must be a multiple of it. 1 for the float types. */
    public abstract int blockSize();

    /** Bytes one chunk of {@code n} elements occupies, scales included. */
    public abstract int chunkBytes(int n);

    /** Encodes {@code src[srcOff .. srcOff + n)} as one chunk at {@code dst[dstOff ..]}. */
    public abstract void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff);

    /** Element {@code i} of the chunk at {@code chunkOff}: the scalar decoder everything else is checked against. */
    public abstract float element(byte[] chunk, int chunkOff, int i);

    /** Decodes elements {@code [start, start + len)} of a chunk into {@code dst}. */
    public void decode(byte[] chunk, int chunkOff, int start, int len, float[] dst, int dstOff) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = element(chunk, chunkOff, start + i);
        }
    }

    /**
     * Elements {@code [8g, 8g + 8)} of a chunk, decoded and scaled, as one 8-lane vector: the unit
     * of the attention kernels. It also serves slices that are not whole blocks, such as a head of 8
     * inside a row-wide block (stories260K).
     */
    protected abstract FloatVector group(byte[] chunk, int chunkOff, int g);

    /** {@code Σ q[qOff + i] · x[start + i]} over {@code i < len}, x being the decoded chunk: one row, one query. */
    public final float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        float[] out = new float[1];
        dotRows(q, qOff, 1, len, chunk, chunkOff, 0, 1, start, len, 1f, out, 0, 1);
        return out[0];
    }

    /** {@code out[outOff + i] += w · x[start + i]} over {@code i < len} (w is not rounded here). */
    public final void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        float[] weight = {w};
        if (roundWeight(w) != w) {
            axpyScalar(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        axpyRows(weight, 0, 1, 1, chunk, chunkOff, 0, 1, start, len, out, outOff, len);
    }

    /**
     * Scores of {@code rows} consecutive stored rows ({@code stride} bytes apart, the first chunk
     * at {@code chunkOff}) against {@code queries} query vectors ({@code qStride} floats apart):
     * {@code out[outOff + j·outStride + r] = scale · q_j · row r}. Grouped-query attention passes
     * all query heads of one K/V head at once, so each stored block is decoded once for all of
     * them. Ranges that are not 8-aligned take {@link #dotRowsScalar}.
     *
     * <p>Every codec carries its own copy of the row loops (the same text, see {@code Q8_0Codec})
     * around its own {@link #group}: a loop shared in this class would be compiled once with a
     * megamorphic call to {@code group} as soon as two codecs run in one process (a precision
     * ladder always has several), and every decoded vector would then be boxed on the heap.
     * Each loop keeps one accumulator per query, summed group by group in element order and
     * reduced the x86 way, which is also how llama.cpp orders its F16 and F32 products.
     */
    public abstract void dotRows(float[] q, int qOff, int queries, int qStride, byte[] data, int chunkOff, int stride,
                                 int rows, int start, int len, float scale, float[] out, int outOff, int outStride);

    /**
     * Weighted sums of {@code rows} stored rows for {@code queries} weight sets:
     * {@code out[outOff + j·outStride ..] += Σ_r roundWeight(w[wOff + j·wStride + r]) · row r}, each element summed
     * in row order from its old value. The vector loops keep two groups of up to four weight sets in registers for
     * all rows (one out load and store per group instead of per row: 1.5x faster for f16 at 64 dims, 3 queries).
     */
    public abstract void axpyRows(float[] w, int wOff, int queries, int wStride, byte[] data, int chunkOff, int stride,
                                  int rows, int start, int len, float[] out, int outOff, int outStride);

    /** The scalar twin of {@link #dotRows}. */
    public final void dotRowsScalar(float[] q, int qOff, int queries, int qStride, byte[] data, int chunkOff, int stride,
                                    int rows, int start, int len, float scale, float[] out, int outOff, int outStride) {
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            for (int j = 0; j < queries; j++) {
                out[outOff + j * outStride + r] = scale * dotScalar(q, qOff + j * qStride, data, chunkOff, start, len);
            }
        }
    }

    /** The scalar twin of {@link #axpyRows}. */
    public final void axpyRowsScalar(float[] w, int wOff, int queries, int wStride, byte[] data, int chunkOff, int stride,
                                     int rows, int start, int len, float[] out, int outOff, int outStride) {
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            for (int j = 0; j < queries; j++) {
                axpyScalar(roundWeight(w[wOff + j * wStride + r]), data, chunkOff, start, len, out, outOff + j * outStride);
            }
        }
    }

    /** The scalar twin of {@link #dot}: one element at a time, in element order. */
    public final float dotScalar(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        float sum = 0f;
        for (int i = 0; i < len; i++) {
            sum += q[qOff + i] * element(chunk, chunkOff, start + i);
        }
        return sum;
    }

    /** The scalar twin of {@link #axpy}. */
    public final void axpyScalar(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] += w * element(chunk, chunkOff, start + i);
        }
    }

    /**
     * Rounds a query in place the way ggml rounds the float operand of a product with this type
     * (F16 and BF16 keys multiply a half-precision copy of q). Identity for the other types: they
     * keep the query in full precision, which is more accurate than ggml's 8-bit query blocks.
     */
    public void roundQuery(float[] q, int off, int n) {
    }

    /** Rounds a softmax weight the way ggml rounds it before multiplying values of this type. */
    public float roundWeight(float w) {
        return w;
    }

    /** Whether {@link #roundQuery} changes anything, so callers can skip a copy. */
    public boolean roundsQuery() {
        return false;
    }

    /** Storage cost in bits per element for chunks of {@code n} elements. */
    public final double bitsPerElement(int n) {
        return 8.0 * chunkBytes(n) / n;
    }

    @Override
    public String toString() {
        return name;
    }
}
