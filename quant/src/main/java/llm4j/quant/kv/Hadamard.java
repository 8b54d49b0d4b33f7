package llm4j.quant.kv;

/**
 * The normalized Walsh-Hadamard transform over consecutive blocks of a power-of-two size. It is
 * orthonormal and its own inverse, so rotating both q and k leaves q·k unchanged while spreading a
 * few large channels of k over the whole block, which is what 4- and 5-bit block scales need.
 */
public final class Hadamard {

    private Hadamard() {
    }

    /**
     * The block size used for vectors of {@code n}: the largest power of two dividing {@code n}
     * (n itself when it is one). 1 means no rotation is possible.
     */
    public static int blockFor(int n) {
        return Integer.lowestOneBit(n);
    }

    /** Rotates {@code x[off .. off + n)} in place, block by block ({@code n} a multiple of {@code block}). */
    public static void rotate(float[] x, int off, int n, int block) {
        if (block < 2) {
            return;
        }
        if (Integer.bitCount(block) != 1 || n % block != 0) {
            throw new IllegalArgumentException("block " + block + " must be a power of two dividing " + n);
        }
        float norm = (float) (1.0 / Math.sqrt(block));
        for (int base = off; base < off + n; base += block) {
            for (int h = 1; h < block; h <<= 1) {
                for (int i = base; i < base + block; i += 2 * h) {
                    for (int j = i; j < i + h; j++) {
                        float a = x[j];
                        float b = x[j + h];
                        x[j] = a + b;
                        x[j + h] = a - b;
                    }
                }
            }
            for (int i = base; i < base + block; i++) {
                x[i] *= norm;
            }
        }
    }
}
