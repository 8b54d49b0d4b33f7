package llm4j.model.kv;

import java.util.Arrays;

import llm4j.quant.kv.KvCodec;

/**
 * Where one position's K (or V) row of one layer lives in bytes for one codec. When
 * {@code head_dim} is a multiple of the codec's block, every head is its own chunk; otherwise (a
 * head of 8 against 32-wide blocks) the whole row, zero-padded to a block multiple, is one chunk
 * and each head is a slice of it. Either way every model works with every type.
 */
final class RowLayout {

    final KvCodec codec;
    final int kvDim;
    final int headDim;
    final boolean chunkPerHead;
    final int chunkLen;
    final int chunkBytes;
    final int rowBytes;

    RowLayout(KvCodec codec, KvGeometry g) {
        this.codec = codec;
        this.kvDim = g.kvDim();
        this.headDim = g.headDim();
        int block = codec.blockSize();
        this.chunkPerHead = headDim % block == 0;
        this.chunkLen = chunkPerHead ? headDim : (kvDim + block - 1) / block * block;
        this.chunkBytes = codec.chunkBytes(chunkLen);
        this.rowBytes = chunkPerHead ? g.kvHeads() * chunkBytes : chunkBytes;
    }

    /** Byte offset, inside a row, of the chunk holding {@code head}. */
    int headOffset(int head) {
        return chunkPerHead ? head * chunkBytes : 0;
    }

    /** First element of {@code head} inside its chunk. */
    int headStart(int head) {
        return chunkPerHead ? 0 : head * headDim;
    }

    /** Encodes a row of {@code kvDim} floats; {@code pad} is scratch of at least {@link #chunkLen} floats. */
    void encode(float[] src, int off, byte[] dst, int dstOff, float[] pad) {
        if (chunkPerHead) {
            for (int h = 0; h * headDim < kvDim; h++) {
                codec.encode(src, off + h * headDim, headDim, dst, dstOff + h * chunkBytes);
            }
        } else if (chunkLen == kvDim) {
            codec.encode(src, off, kvDim, dst, dstOff);
        } else {
            System.arraycopy(src, off, pad, 0, kvDim);
            Arrays.fill(pad, kvDim, chunkLen, 0f);
            codec.encode(pad, 0, chunkLen, dst, dstOff);
        }
    }

    /** Decodes a row back to {@code kvDim} floats. */
    void decode(byte[] src, int srcOff, float[] dst, int off) {
        if (chunkPerHead) {
            for (int h = 0; h * headDim < kvDim; h++) {
                codec.decode(src, srcOff + h * chunkBytes, 0, headDim, dst, off + h * headDim);
            }
        } else {
            codec.decode(src, srcOff, 0, kvDim, dst, off);
        }
    }
}
