package llm4j.model.load;

import java.nio.file.Path;
import java.util.Arrays;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.model.LayerWeights;
import llm4j.model.Linear;
import llm4j.model.ModelConfig;
import llm4j.model.ModelWeights;
import llm4j.quant.QuantFormats;
import llm4j.quant.UnsupportedTypeException;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/**
 * Binds a file's tensors (GGUF names) to the transformer's weights, checking each shape against the
 * configuration. Matrices stay packed views of the mapping; only 1-D norms and biases are decoded.
 */
public final class WeightBinder {

    private final ModelFile file;
    private final Path path;

    private WeightBinder(ModelFile file) {
        this.file = file;
        this.path = file.path();
    }

    public static ModelWeights bind(ModelFile file, ModelConfig c) throws ModelFormatException {
        return new WeightBinder(file).bind(c);
    }

    private ModelWeights bind(ModelConfig c) throws ModelFormatException {
        WeightTensor embedding = matrix("token_embd.weight", c.vocabSize(), c.dim());
        LayerWeights[] layers = new LayerWeights[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = c.attentionBias();
            layers[l] = new LayerWeights(
                    vector(p + "attn_norm.weight", c.dim()),
                    linear(p + "attn_q", c.qDim(), c.dim(), bias),
                    linear(p + "attn_k", c.kvDim(), c.dim(), bias),
                    linear(p + "attn_v", c.kvDim(), c.dim(), bias),
                    linear(p + "attn_output", c.dim(), c.qDim(), false),
                    vector(p + "ffn_norm.weight", c.dim()),
                    linear(p + "ffn_gate", c.hiddenDim(), c.dim(), false),
                    linear(p + "ffn_up", c.hiddenDim(), c.dim(), false),
                    linear(p + "ffn_down", c.dim(), c.hiddenDim(), false));
        }
        float[] outputNorm = vector("output_norm.weight", c.dim());
        Linear output = file.tensor("output.weight").isPresent()
                ? linear("output", c.vocabSize(), c.dim(), false)
                : new Linear("token_embd (tied)", embedding, null);
        return new ModelWeights(embedding, layers, outputNorm, output);
    }

    /**
     * llama3-style per-pair frequency divisors ({@code rope_freqs.weight}), or null when the file
     * has none.
     */
    public static float[] ropeFactors(ModelFile file, ModelConfig c) throws ModelFormatException {
        if (file.tensor("rope_freqs.weight").isEmpty()) {
            return null;
        }
        return new WeightBinder(file).vector("rope_freqs.weight", c.ropeDim() / 2);
    }

    private Linear linear(String prefix, int rows, int cols, boolean withBias) throws ModelFormatException {
        float[] bias = withBias && file.tensor(prefix + ".bias").isPresent() ? vector(prefix + ".bias", rows) : null;
        return new Linear(prefix, matrix(prefix + ".weight", rows, cols), bias);
    }

    private TensorView require(String name) throws ModelFormatException {
        return file.tensor(name).orElseThrow(() -> new ModelFormatException(path, -1, "required tensor " + name + " is missing"));
    }

    private WeightTensor matrix(String name, int rows, int cols) throws ModelFormatException {
        TensorView t = require(name);
        long[] shape = t.shape();
        if (shape.length != 2 || shape[0] != cols || shape[1] != rows) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + " has shape " + Arrays.toString(shape)
                    + ", expected [" + cols + ", " + rows + "]");
        }
        try {
            return WeightTensors.wrap(t.type(), t.data(), rows, cols);
        } catch (UnsupportedTypeException e) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + ": " + e.getMessage());
        }
    }

    private float[] vector(String name, int length) throws ModelFormatException {
        TensorView t = require(name);
        if (t.elementCount() != length || t.cols() != length) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected [" + length + "]");
        }
        float[] out = new float[length];
        try {
            QuantFormats.of(t.type()).dequantize(t.data(), 0, out, 0, length);
        } catch (UnsupportedTypeException e) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + ": " + e.getMessage());
        }
        return out;
    }
}
