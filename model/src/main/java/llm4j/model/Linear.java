package llm4j.model;

import llm4j.quant.ActivationRounding;
import llm4j.quant.WeightTensor;

/**
 * A linear layer {@code y = W x (+ b)} over an injected, still-packed weight tensor; which kernel
 * runs was decided by the tensor's type when it was loaded.
 *
 * @param bias one value per output, or null
 * @param activations how inputs are rounded before the product (ggml's rounding for a GGUF file's weights)
 */
public record Linear(String name, WeightTensor weight, float[] bias, ActivationRounding activations) {

    /** A layer whose inputs are rounded as for weights outside a GGUF file. */
    public Linear(String name, WeightTensor weight, float[] bias) {
        this(name, weight, bias, ActivationRounding.forWeights(weight.type()));
    }

    public int in() {
        return weight.cols();
    }

    public int out() {
        return weight.rows();
    }

    /** Computes output rows {@code [from, to)} for {@code n} stacked inputs. */
    public void forward(float[] x, int n, float[] y, int from, int to) {
        if (n == 1) {
            weight.matVec(x, y, from, to);
        } else {
            weight.matMul(x, n, y, from, to);
        }
        if (bias != null) {
            int rows = out();
            for (int t = 0; t < n; t++) {
                for (int r = from; r < to; r++) {
                    y[t * rows + r] += bias[r];
                }
            }
        }
    }
}
