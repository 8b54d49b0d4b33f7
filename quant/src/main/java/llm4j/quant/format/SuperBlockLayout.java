package llm4j.quant.format;

import static llm4j.quant.format.KQuants.QK_K;

import llm4j.quant.ActivationLayout;

/**
 * A K-quant kernel's activation order: each super-block's 256 activations permuted by a fixed table, then, after all
 * n of them, each super-block's sub-block sums Σx (each written {@code copies} times in a row of sums), for the
 * kernels' min and offset terms.
 */
abstract class SuperBlockLayout implements ActivationLayout {

    /** order[i]: the super-block value that arranged activation i is. */
    private final int[] order;
    private final int subBlock;
    private final int copies;

    SuperBlockLayout(int[] order, int subBlock, int copies) {
        this.order = order;
        this.subBlock = subBlock;
        this.copies = copies;
    }

    @Override
    public int length(int n) {
        return n + n / QK_K * 16;
    }

    @Override
    public void arrange(float[] x, int xOffset, int n, float[] out) {
        int blocks = KQuants.superBlocks(n);
        int sums = QK_K / subBlock;
        for (int b = 0; b < blocks; b++) {
            int from = xOffset + b * QK_K;
            for (int i = 0; i < QK_K; i++) {
                out[b * QK_K + i] = x[from + order[i]];
            }
            for (int s = 0; s < sums; s++) {
                float sum = 0;
                for (int i = 0; i < subBlock; i++) {
                    sum += x[from + subBlock * s + i];
                }
                for (int c = 0; c < copies; c++) {
                    out[n + 16 * b + sums * c + s] = sum;
                }
            }
        }
    }
}
