package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;

import jdk.incubator.vector.VectorShuffle;

/**
 * The activation order of {@link Q6_KMantissaVector} and {@link Q3_KMantissaVector} (Q3_K's bit pair j is Q6_K's kind
 * k: values 32k + l of a half either way). Per step h (both halves of a super-block at 16 lanes, half h
 * at 8) the kernel makes 16 vectors of weights: kind k (values 32k + l of a half: ql nibble and qh bit pair) times
 * byte position j of a word. Lane i holds word i % 8 of its half (half i / 8 at 16 lanes, h at 8), whose byte j is
 * l = 4·(i % 8) + j. After the n arranged activations come the 16 sub-block sums Σx of each super-block, in
 * sub-block order, for the kernel's −32 offset.
 */
final class SixBitWordLayout extends SuperBlockLayout {

    /** Steps per super-block: both halves at once at 16 lanes, one half per step at 8 (fewer lanes are not covered). */
    static final int LOADS = W == 16 ? 1 : 2;

    /** ORDER[i]: the super-block value that arranged activation i is. */
    private static final int[] ORDER = new int[QK_K];

    static {
        for (int h = 0; h < LOADS; h++) {
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) {
                    for (int i = 0; i < W; i++) {
                        int half = W == 16 ? i / 8 : h;
                        ORDER[((h * 4 + k) * 4 + j) * W + i] = 128 * half + 32 * k + 4 * (i % 8) + j;
                    }
                }
            }
        }
    }

    /** Made after ORDER, which its constructor takes. */
    static final SixBitWordLayout INSTANCE = new SixBitWordLayout();

    private SixBitWordLayout() {
        super(ORDER, 16, 1);
    }

    /** Lane i's sub-block among a step's factors (16 at 16 lanes, the half's 8 at 8), for the values 32k + l of its half. */
    static VectorShuffle<Float> kindShuffle(int k) {
        int[] lanes = new int[W];
        for (int i = 0; i < W; i++) {
            lanes[i] = (W == 16 ? 8 * (i / 8) : 0) + 2 * k + (i % 8) / 4;
        }
        return VectorShuffle.fromArray(F, lanes, 0);
    }
}
