package llm4j.quant.kv;

import static llm4j.quant.kv.KvLanes.B16;
import static llm4j.quant.kv.KvLanes.F;
import static llm4j.quant.kv.KvLanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import llm4j.quant.format.Q4_0Format;

/**
 * ggml Q4_0: per 32 values an fp16 scale d and 16 bytes of 4-bit codes; value = (q - 8)·d. Byte j
 * holds element j in its low nibble and element j + 16 in its high nibble. 18 bytes per block.
 */
public final class Q4_0Codec extends KvCodec {

    public static final Q4_0Codec INSTANCE = new Q4_0Codec();

    static final int QK = 32;
    static final int BLOCK_BYTES = 18;

    private Q4_0Codec() {
        super("q4_0");
    }

    @Override
    public int blockSize() {
        return QK;
    }

    @Override
    public int chunkBytes(int n) {
        return n / QK * BLOCK_BYTES;
    }

    /**
     * ggml's layout with the scale chosen for the least squared error ({@link ScaleSearch}) rather
     * than ggml's d = max/-8: on random-llama-256d this is what takes the q4_0 cache's KL divergence
     * below llama.cpp's.
     */
    @Override
    public void encode(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        int[] codes = new int[QK];
        int[] scratch = new int[QK];
        for (int b = 0; b < n / QK; b++) {
            int o = dstOff + b * BLOCK_BYTES;
            float d = ScaleSearch.search(src, srcOff + b * QK, QK, -8, 7, codes, scratch);
            KvBytes.putShort(dst, o, Float.floatToFloat16(d));
            for (int j = 0; j < QK / 2; j++) {
                dst[o + 2 + j] = (byte) ((codes[j] + 8) | (codes[j + QK / 2] + 8) << 4);
            }
        }
    }

    /** ggml's reference quantizer, byte for byte (the oracle the codec tests compare layouts with). */
    static void encodeReference(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        Q4_0Format.INSTANCE.quantize(src, srcOff, n, MemorySegment.ofArray(dst), dstOff);
    }

    @Override
    public float element(byte[] chunk, int chunkOff, int i) {
        int block = chunkOff + (i / QK) * BLOCK_BYTES;
        int j = i % QK;
        int packed = chunk[block + 2 + j % 16];
        int code = (j < 16 ? packed : packed >> 4) & 0x0F;
        return (code - 8) * KvBytes.half(chunk, block);
    }

    /** Groups 0 and 1 of a block are low nibbles of its bytes 0..15, groups 2 and 3 the high nibbles. */
    @Override
    protected FloatVector group(byte[] chunk, int chunkOff, int g) {
        int block = chunkOff + g / 4 * BLOCK_BYTES;
        int part = g % 4;
        ByteVector packed = ByteVector.fromArray(KvLanes.B8, chunk, block + 2 + part % 2 * L);
        ByteVector codes = part < 2 ? KvLanes.lowNibbles(packed) : KvLanes.highNibbles(packed);
        return KvLanes.bytesToFloat(codes.sub((byte) 8), 0).mul(KvBytes.half(chunk, block));
    }

    @Override
    public void dotRows(float[] q, int qOff, int queries, int qStride, byte[] data, int chunkOff, int stride,
                        int rows, int start, int len, float scale, float[] out, int outOff, int outStride) {
        if (start % L != 0 || len % L != 0) {
            dotRowsScalar(q, qOff, queries, qStride, data, chunkOff, stride, rows, start, len, scale, out, outOff, outStride);
            return;
        }
        int first = start / L;
        int groups = len / L;
        for (int r = 0; r < rows; r++, chunkOff += stride) {
            for (int j = 0; j < queries; j += 4) {
                int n = Math.min(4, queries - j);
                int q0 = qOff + j * qStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int g = 0; g < groups; g++) {
                    FloatVector x = group(data, chunkOff, first + g);
                    int o = q0 + L * g;
                    a0 = x.fma(FloatVector.fromArray(F, q, o), a0);
                    if (n > 1) {
                        a1 = x.fma(FloatVector.fromArray(F, q, o + qStride), a1);
                        if (n > 2) {
                            a2 = x.fma(FloatVector.fromArray(F, q, o + 2 * qStride), a2);
                            if (n > 3) {
                                a3 = x.fma(FloatVector.fromArray(F, q, o + 3 * qStride), a3);
                            }
                        }
                    }
                }
                int at = outOff + j * outStride + r;
                out[at] = scale * KvLanes.sumLikeX86(a0);
                if (n > 1) {
                    out[at + outStride] = scale * KvLanes.sumLikeX86(a1);
                    if (n > 2) {
                        out[at + 2 * outStride] = scale * KvLanes.sumLikeX86(a2);
                        if (n > 3) {
                            out[at + 3 * outStride] = scale * KvLanes.sumLikeX86(a3);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void axpyRows(float[] w, int wOff, int queries, int wStride, byte[] data, int chunkOff, int stride,
                         int rows, int start, int len, float[] out, int outOff, int outStride) {
        if (start % L != 0 || len % L != 0) {
            axpyRowsScalar(w, wOff, queries, wStride, data, chunkOff, stride, rows, start, len, out, outOff, outStride);
            return;
        }
        int first = start / L;
        int groups = len / L;
        // two groups of up to four weight sets stay in registers over all rows: each sum is still
        // out + w0·row0 + w1·row1 + ... in row order, without an out load and store per row
        for (int j = 0; j < queries; j += 4) {
            int n = Math.min(4, queries - j);
            for (int g = 0; g < groups; g += 2) {
                // an odd last group is paired with itself: both sums are then the same bits, stored twice
                int h = Math.min(g + 1, groups - 1);
                int oa = outOff + j * outStride + L * g;
                int ob = outOff + j * outStride + L * h;
                FloatVector a0 = FloatVector.fromArray(F, out, oa);
                FloatVector b0 = FloatVector.fromArray(F, out, ob);
                FloatVector a1 = n > 1 ? FloatVector.fromArray(F, out, oa + outStride) : a0;
                FloatVector b1 = n > 1 ? FloatVector.fromArray(F, out, ob + outStride) : b0;
                FloatVector a2 = n > 2 ? FloatVector.fromArray(F, out, oa + 2 * outStride) : a0;
                FloatVector b2 = n > 2 ? FloatVector.fromArray(F, out, ob + 2 * outStride) : b0;
                FloatVector a3 = n > 3 ? FloatVector.fromArray(F, out, oa + 3 * outStride) : a0;
                FloatVector b3 = n > 3 ? FloatVector.fromArray(F, out, ob + 3 * outStride) : b0;
                int c = chunkOff;
                int wAt = wOff + j * wStride;
                for (int r = 0; r < rows; r++, c += stride, wAt++) {
                    FloatVector x = group(data, c, first + g);
                    FloatVector y = group(data, c, first + h);
                    FloatVector w0 = FloatVector.broadcast(F, roundWeight(w[wAt]));
                    a0 = x.fma(w0, a0);
                    b0 = y.fma(w0, b0);
                    if (n > 1) {
                        FloatVector w1 = FloatVector.broadcast(F, roundWeight(w[wAt + wStride]));
                        a1 = x.fma(w1, a1);
                        b1 = y.fma(w1, b1);
                        if (n > 2) {
                            FloatVector w2 = FloatVector.broadcast(F, roundWeight(w[wAt + 2 * wStride]));
                            a2 = x.fma(w2, a2);
                            b2 = y.fma(w2, b2);
                            if (n > 3) {
                                FloatVector w3 = FloatVector.broadcast(F, roundWeight(w[wAt + 3 * wStride]));
                                a3 = x.fma(w3, a3);
                                b3 = y.fma(w3, b3);
                            }
                        }
                    }
                }
                a0.intoArray(out, oa);
                b0.intoArray(out, ob);
                if (n > 1) {
                    a1.intoArray(out, oa + outStride);
                    b1.intoArray(out, ob + outStride);
                    if (n > 2) {
                        a2.intoArray(out, oa + 2 * outStride);
                        b2.intoArray(out, ob + 2 * outStride);
                        if (n > 3) {
                            a3.intoArray(out, oa + 3 * outStride);
                            b3.intoArray(out, ob + 3 * outStride);
                        }
                    }
                }
            }
        }
    }

}
