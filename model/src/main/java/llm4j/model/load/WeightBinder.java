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
import llm4j.model.load.TensorNames.Part;
import llm4j.quant.ActivationRounding;
import llm4j.quant.UnsupportedTypeException;
import llm4j.quant.WeightTensor;

/**
 * Binds a file's tensors (GGUF or Hugging Face names) to the transformer's weights, checking each shape against the
 * configuration. Matrices stay packed views of the mapping (or are re-quantized once by a {@link WeightQuantizer});
 * only 1-D norms and biases are decoded.
 */
public final class WeightBinder {

    private final ModelFile file;
    private final Path path;
    private final TensorNames names;
    private final WeightQuantizer quantizer;

    private WeightBinder(ModelFile file, TensorNames names, WeightQuantizer quantizer) {
        this.file = file;
        this.path = file.path();
        this.names = names;
        this.quantizer = quantizer;
    }

    /** Binds a file with GGUF tensor names, weights used as stored. */
    public static ModelWeights bind(ModelFile file, ModelConfig c) throws ModelFormatException {
        return bind(file, c, TensorNames.GGUF, null);
    }

    /** @param quantizer re-encodes every matrix at load, or null to use them as stored */
    public static ModelWeights bind(ModelFile file, ModelConfig c, TensorNames names, WeightQuantizer quantizer)
            throws ModelFormatException {
        return new WeightBinder(file, names, quantizer).bind(c);
    }

    private ModelWeights bind(ModelConfig c) throws ModelFormatException {
        // nine tensors per block plus the embedding and the final norm (the output matrix may be
        // tied): check the file has them before sizing anything by the declared block count
        long minimum = 9L * c.layers() + 2;
        if (file.tensors().size() < minimum) {
            throw new ModelFormatException(path, file.metadata().offsetOf(c.architecture() + ".block_count"),
                    c.layers() + " blocks (" + c.architecture() + ".block_count) need at least " + minimum
                    + " tensors; the file has " + file.tensors().size());
        }
        WeightTensor embedding = matrix(names.embedding(), c.vocabSize(), c.dim());
        LayerWeights[] layers = new LayerWeights[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            boolean bias = c.attentionBias();
            layers[l] = new LayerWeights(
                    vector(names.layer(l, Part.ATTN_NORM), c.dim()),
                    linear(names.layer(l, Part.Q), c.qDim(), c.dim(), bias),
                    linear(names.layer(l, Part.K), c.kvDim(), c.dim(), bias),
                    linear(names.layer(l, Part.V), c.kvDim(), c.dim(), bias),
                    linear(names.layer(l, Part.O), c.dim(), c.qDim(), false),
                    vector(names.layer(l, Part.FFN_NORM), c.dim()),
                    linear(names.layer(l, Part.GATE), c.hiddenDim(), c.dim(), false),
                    linear(names.layer(l, Part.UP), c.hiddenDim(), c.dim(), false),
                    linear(names.layer(l, Part.DOWN), c.dim(), c.hiddenDim(), false));
        }
        float[] outputNorm = vector(names.outputNorm(), c.dim());
        String output = names.output();
        // an output matrix that is the embedding's bytes (tied weights aliased by the file) is bound only once
        Linear head = file.tensor(output + ".weight").isPresent() && !sameBytes(output + ".weight", names.embedding())
                ? linear(output, c.vocabSize(), c.dim(), false)
                : new Linear(output + " (tied to the embedding)", embedding, null, activations(embedding));
        return new ModelWeights(embedding, layers, outputNorm, head);
    }

    private boolean sameBytes(String a, String b) {
        TensorView x = file.tensor(a).orElse(null);
        TensorView y = file.tensor(b).orElse(null);
        return x != null && y != null && x.data().address() == y.data().address() && x.data().byteSize() == y.data().byteSize();
    }

    /**
     * llama3-style per-pair frequency divisors ({@code rope_freqs.weight}), or null when the file
     * has none.
     */
    public static float[] ropeFactors(ModelFile file, ModelConfig c) throws ModelFormatException {
        if (file.tensor("rope_freqs.weight").isEmpty()) {
            return null;
        }
        float[] factors = new WeightBinder(file, TensorNames.GGUF, null).vector("rope_freqs.weight", c.ropeDim() / 2);
        for (int i = 0; i < factors.length; i++) {
            // angles are divided by these: zero, negative or NaN would make every angle meaningless
            if (!(factors[i] > 0f)) {
                throw new ModelFormatException(file.path(), file.tensor("rope_freqs.weight").orElseThrow().offset(),
                        "tensor rope_freqs.weight holds " + factors[i] + " at index " + i + "; rope factors must be positive");
            }
        }
        return factors;
    }

    /**
     * A linear layer; a bias is used whenever the file has one (as llama.cpp does for llama) and must be there when
     * the architecture requires it (Qwen2's Q/K/V).
     */
    private Linear linear(String prefix, int rows, int cols, boolean requiresBias) throws ModelFormatException {
        float[] bias = requiresBias || file.tensor(prefix + ".bias").isPresent() ? vector(prefix + ".bias", rows) : null;
        WeightTensor w = matrix(prefix + ".weight", rows, cols);
        return new Linear(prefix, w, bias, activations(w));
    }

    /** ggml's activation rounding for a GGUF file's weights; other formats round only for quantized weights. */
    private ActivationRounding activations(WeightTensor w) {
        return ActivationRounding.forWeights(w.type(), file.format().equals("gguf"));
    }

    private TensorView require(String name) throws ModelFormatException {
        return file.tensor(name).orElseThrow(() -> new ModelFormatException(path, -1, "required tensor " + name + " is missing"));
    }

    private WeightTensor matrix(String name, int rows, int cols) throws ModelFormatException {
        TensorView t = require(name);
        long[] shape = t.shape();
        if (shape.length != 2 || shape[0] != cols || shape[1] != rows) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + " has shape " + Arrays.toString(shape)
                    + ", expected [" + cols + ", " + rows + "] from the model's configuration");
        }
        try {
            WeightTensor w = t.matrix(rows, cols);
            return quantizer == null ? w : quantizer.apply(w);
        } catch (UnsupportedTypeException | IllegalArgumentException e) {
            // the parser sized the slice from the same shape, so a mismatch here is a loader bug;
            // still a file that provokes it must not escape as anything but a format error
            throw new ModelFormatException(path, t.offset(), "tensor " + name + ": " + e.getMessage());
        }
    }

    /** A 1-D weight; stored as [n] or with unit outer dimensions ([1, n], as SmallMind's GGUF import writes). */
    private float[] vector(String name, int length) throws ModelFormatException {
        TensorView t = require(name);
        if (t.elementCount() != length) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected [" + length + "] from the model's configuration");
        }
        float[] out = new float[length];
        try {
            t.matrix(1, length).dequantizeRow(0, out, 0);
        } catch (UnsupportedTypeException | IllegalArgumentException e) {
            throw new ModelFormatException(path, t.offset(), "tensor " + name + ": " + e.getMessage());
        }
        // norms, biases and rope factors are few values applied to every token: one NaN or
        // infinity among them turns every logit into NaN, so such a file is refused at load
        for (int i = 0; i < length; i++) {
            if (!Float.isFinite(out[i])) {
                throw new ModelFormatException(path, t.offset(), "tensor " + name + " holds " + out[i] + " at index " + i);
            }
        }
        return out;
    }
}
