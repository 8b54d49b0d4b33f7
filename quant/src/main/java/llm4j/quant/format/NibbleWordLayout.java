package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;

import jdk.incubator.vector.VectorShuffle;

/**
 * The activation order of the mantissa kernels ({@link Q4_KMantissaVector}, {@link Q5_KMantissaVector}), whose 128
 * nibble bytes per super-block are read as vectors of 32-bit words: lane l of word vector h holds level bytes
 * 4W·h + 4l .. 4W·h + 4l + 3, and each of the 8 nibble positions of a word (byte j, low or high nibble k) is one
 * vector of weights. Byte b holds value 64·(b / 32) + b % 32 in its low nibble and that + 32 in its high nibble, so
 * position (h, k, j) of lane l multiplies x at 64·(b / 32) + 32k + b % 32 with b = 4W·h + 4l + j. After the n
 * arranged activations come the 8 sub-block sums Σx of each super-block, each twice (16 floats per super-block),
 * for the kernels' min and offset terms.
 */
final class NibbleWordLayout extends SuperBlockLayout {

    /** Level bytes per word vector, and word vectors per super-block. */
    static final int BYTES = 4 * W;
    static final int LOADS = 128 / BYTES;

    /** ORDER[i]: the super-block value that arranged activation i is. */
    private static final int[] ORDER = new int[QK_K];

    static {
        for (int h = 0; h < LOADS; h++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < 4; j++) {
                    for (int l = 0; l < W; l++) {
                        int b = BYTES * h + 4 * l + j;
                        ORDER[((h * 2 + k) * 4 + j) * W + l] = 64 * (b / 32) + 32 * k + b % 32;
                    }
                }
            }
        }
    }

    /** Made after ORDER, which its constructor takes. */
    static final NibbleWordLayout INSTANCE = new NibbleWordLayout();

    private NibbleWordLayout() {
        super(ORDER, 32, 2);
    }

    /**
     * At 16 lanes a word vector spans two 32-byte groups, so lanes 0..7 and 8..15 belong to different sub-blocks: the
     * shuffle that gives lane l of word vector h, nibble k, its sub-block's factor (index 2·group + k of a vector of
     * the super-block's 8 factors).
     */
    static VectorShuffle<Float> scaleShuffle(int h, int k) {
        int[] index = new int[W];
        for (int l = 0; l < W; l++) {
            index[l] = 2 * ((BYTES * h + 4 * l) / 32) + k;
        }
        return VectorShuffle.fromArray(F, index, 0);
    }
}
