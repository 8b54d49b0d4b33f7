package llm4j.quant;

/**
 * An order of the activations, plus any per-block sums, that a format's vector kernels read instead of x itself:
 * made once per matrix-vector product and shared by every row. Q4_K uses one so that its kernel can put the
 * nibbles of each 32-bit word straight into float lanes (a shift and a mask per vector, no widening), which
 * reads the weights of a sub-block out of their natural order.
 */
public interface ActivationLayout {

    /** The number of floats {@link #arrange} writes for {@code n} activations. */
    int length(int n);

    /** Writes {@code x[xOffset .. xOffset + n)} in this layout to {@code out} from index 0. */
    void arrange(float[] x, int xOffset, int n, float[] out);
}
