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
     * Elements {@code [8g, 8g + 8)} of a chunk, decoded and scaled, as one 8-lane vector; null when
     * the codec has no such kernel. It serves slices that are not whole blocks: a head of 8 inside a
     * row-wide block (stories260K), vectorised all the same.
     */
    protected FloatVector group(byte[] chunk, int chunkOff, int g) {
        return null;
    }

    /** Dot product over 8-aligned slices through {@link #group}; scalar otherwise. */
    protected final float dotGroups(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        if (start % 8 != 0 || len % 8 != 0) {
            return dotScalar(q, qOff, chunk, chunkOff, start, len);
        }
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_256);
        for (int i = 0; i < len; i += 8) {
            acc = group(chunk, chunkOff, (start + i) / 8).fma(FloatVector.fromArray(FloatVector.SPECIES_256, q, qOff + i), acc);
        }
        return KvLanes.sumLikeX86(acc);
    }

    /** Weighted accumulation over 8-aligned slices through {@link #group}; scalar otherwise. */
    protected final void axpyGroups(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        if (start % 8 != 0 || len % 8 != 0) {
            axpyScalar(w, chunk, chunkOff, start, len, out, outOff);
            return;
        }
        FloatVector wv = FloatVector.broadcast(FloatVector.SPECIES_256, w);
        for (int i = 0; i < len; i += 8) {
            int o = outOff + i;
            group(chunk, chunkOff, (start + i) / 8).fma(wv, FloatVector.fromArray(FloatVector.SPECIES_256, out, o))
                    .intoArray(out, o);
        }
    }

    /** {@code Σ q[qOff + i] · x[start + i]} over {@code i < len}, x being the decoded chunk. */
    public float dot(float[] q, int qOff, byte[] chunk, int chunkOff, int start, int len) {
        return dotScalar(q, qOff, chunk, chunkOff, start, len);
    }

    /** {@code out[outOff + i] += w · x[start + i]} over {@code i < len}. */
    public void axpy(float w, byte[] chunk, int chunkOff, int start, int len, float[] out, int outOff) {
        axpyScalar(w, chunk, chunkOff, start, len, out, outOff);
    }

    /**
     * Scores of {@code rows} consecutive stored rows ({@code stride} bytes apart, the first chunk at
     * {@code chunkOff}): {@code out[outOff + r] = scale · dot(q, row r)}. Every codec implements
     * the row loop itself, so its {@link #dot} is a direct, inlinable call rather than a
     * megamorphic one from a shared loop.
     */
    public abstract void dotRows(float[] q, int qOff, byte[] data, int chunkOff, int stride, int rows, int start, int len,
                                 float scale, float[] out, int outOff);

    /**
     * Weighted sum of {@code rows} consecutive stored rows: {@code out += Σ_r roundWeight(w[wOff + r]) · row r}.
     */
    public abstract void axpyRows(float[] w, int wOff, byte[] data, int chunkOff, int stride, int rows, int start, int len,
                                  float[] out, int outOff);

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
