package llm4j.quant.format;

import static llm4j.quant.format.KVectors.F;
import static llm4j.quant.format.KVectors.W;
import static llm4j.quant.format.LegacyBlocks.QK;

import jdk.incubator.vector.FloatVector;
import llm4j.quant.ActivationLayout;

/**
 * The activation order of {@link Q4_0MantissaVector}, which reads the 16 level bytes of a 32-value block as 4
 * little-endian 32-bit words and a vector of W words as W/4 consecutive blocks (a group): lane l is word l % 4 of
 * block l / 4. Each of a word's 8 nibble positions (byte j, low or high nibble) is one vector of weights, so
 * position p = 4·high + j of lane l multiplies the block's value 4·(l % 4) + j + 16·high. Per group the layout
 * holds those 8 vectors of activations, then a ninth: lane by lane, the sum of the 8 (for the kernel's −8 offset).
 *
 * <p>When the block count is not a multiple of W/4 the last group is moved back to end with the row (the kernel
 * never reads past it), and the lanes of blocks the previous group already covered get zeros. Rows shorter than
 * one group keep the natural order: the kernel hands them to the per-block kernel.
 */
final class NibbleBlockLayout implements ActivationLayout {

    static final NibbleBlockLayout INSTANCE = new NibbleBlockLayout();

    /** Blocks per word vector. */
    static final int GROUP = W / 4;

    /** Floats per group: 8 nibble positions and the sums, W lanes each. */
    static final int GROUP_FLOATS = 9 * W;

    /** GATHER[p·W + l]: the group's activation at lane l of nibble position p (4·high + byte). */
    private static final int[] GATHER = new int[8 * W];

    static {
        for (int p = 0; p < 8; p++) {
            for (int l = 0; l < W; l++) {
                GATHER[p * W + l] = QK * (l / 4) + 4 * (l % 4) + p % 4 + 16 * (p / 4);
            }
        }
    }

    private NibbleBlockLayout() {
    }

    /** Whether a row of {@code blocks} blocks is read in this layout (else in natural order). */
    static boolean arranged(int blocks) {
        return blocks >= GROUP;
    }

    /** The first block of group {@code g} of a row of {@code blocks} blocks. */
    static int groupStart(int g, int blocks) {
        return Math.min(g * GROUP, blocks - GROUP);
    }

    static int groups(int blocks) {
        return (blocks + GROUP - 1) / GROUP;
    }

    @Override
    public int length(int n) {
        int blocks = n / QK;
        return arranged(blocks) ? groups(blocks) * GROUP_FLOATS : n;
    }

    @Override
    public void arrange(float[] x, int xOffset, int n, float[] out) {
        int blocks = n / QK;
        if (!arranged(blocks)) {
            System.arraycopy(x, xOffset, out, 0, n);
            return;
        }
        int groups = groups(blocks);
        // whole groups by gathers (one vgatherdps per vector), this thread making it for every product it runs:
        // the scalar loop took 3.0 µs at 2048 columns, 0.5 at 576, a tenth of a 135M token at two threads
        int whole = blocks / GROUP;
        for (int g = 0; g < whole; g++) {
            int from = xOffset + g * GROUP * QK;
            int base = g * GROUP_FLOATS;
            FloatVector sum = FloatVector.fromArray(F, x, from, GATHER, 0);
            sum.intoArray(out, base);
            for (int p = 1; p < 8; p++) {
                FloatVector v = FloatVector.fromArray(F, x, from, GATHER, p * W);
                v.intoArray(out, base + p * W);
                sum = sum.add(v);
            }
            sum.intoArray(out, base + 8 * W);
        }
        if (whole < groups) { // the last group, moved back to end with the row
            int g = whole;
            int first = groupStart(g, blocks);
            int base = g * GROUP_FLOATS;
            for (int l = 0; l < W; l++) {
                int block = first + l / 4;
                boolean fresh = block >= g * GROUP; // not already covered by the previous group
                int word = xOffset + block * QK + 4 * (l % 4);
                float sum = 0;
                for (int p = 0; p < 8; p++) {
                    float v = fresh ? x[word + p % 4 + 16 * (p / 4)] : 0f;
                    out[base + p * W + l] = v;
                    sum += v;
                }
                out[base + 8 * W + l] = sum;
            }
        }
    }
}
