package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;
import static llm4j.quant.format.KVectors.W;

import llm4j.quant.ActivationLayout;

/**
 * The activation order of {@link Q6_KMantissaVector}. Per step h (both halves of a super-block at 16 lanes, half h
 * at 8) the kernel makes 16 vectors of weights: kind k (values 32k + l of a half: ql nibble and qh bit pair) times
 * byte position j of a word. Lane i holds word i % 8 of its half (half i / 8 at 16 lanes, h at 8), whose byte j is
 * l = 4·(i % 8) + j. After the n arranged activations come the 16 sub-block sums Σx of each super-block, in
 * sub-block order, for the kernel's −32 offset.
 */
final class SixBitWordLayout implements ActivationLayout {

    static final SixBitWordLayout INSTANCE = new SixBitWordLayout();

    /** ORDER[i]: the super-block value that arranged activation i is. */
    private static final int[] ORDER = new int[QK_K];

    static {
        for (int h = 0; h < Q6_KMantissaVector.LOADS; h++) {
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

    private SixBitWordLayout() {
    }

    @Override
    public int length(int n) {
        return n + n / QK_K * 16;
    }

    @Override
    public void arrange(float[] x, int xOffset, int n, float[] out) {
        int blocks = KQuants.superBlocks(n);
        for (int b = 0; b < blocks; b++) {
            int from = xOffset + b * QK_K;
            for (int i = 0; i < QK_K; i++) {
                out[b * QK_K + i] = x[from + ORDER[i]];
            }
            for (int s = 0; s < 16; s++) {
                float sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += x[from + 16 * s + i];
                }
                out[n + 16 * b + s] = sum;
            }
        }
    }
}
