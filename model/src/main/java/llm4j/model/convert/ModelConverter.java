package llm4j.model.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.model.ModelConfig;
import llm4j.model.RopeStyle;
import llm4j.model.load.ModelSpec;
import llm4j.model.load.TensorNames;
import llm4j.quant.GgmlType;

/**
 * Rewrites a runnable llama-family model (GGUF, SMQ or Hugging Face folder) as GGUF or SMQ with the metadata needed
 * to run it (architecture keys and the tokenizer). Values are kept exactly unless a type is asked for: GGUF copies
 * ggml blocks, SMQ takes F32 as is and repacks ggml Q8_0/Q4_0 without loss; anything else is decoded to F32.
 * Hugging Face names become GGUF names, and llama Q/K rows are permuted for GGUF's adjacent-pair RoPE, as llama.cpp's
 * converter does; all files are written atomically.
 */
public final class ModelConverter {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public enum Target {
        GGUF, SMQ;

        /** The target a file name implies (".smq" or ".gguf"), or null. */
        public static Target ofFileName(Path out) {
            String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
            return name.endsWith(".smq") ? SMQ : name.endsWith(".gguf") ? GGUF : null;
        }
    }

    /**
     * @param type      null to keep values exactly; else the element type of the output's matrices ("q8_0", "f32", ...)
     * @param blockSize SMQ's elements per scale when matrices are quantized (SmallMind's sample uses 32)
     */
    public record Options(Target target, String type, int blockSize) {
    }

    /** Reports bytes written so far out of the output's total. */
    @FunctionalInterface
    public interface Progress {
        void update(long written, long total);
    }

    private ModelConverter() {
    }

    public static void convert(Path in, Path out, Options options, Progress progress) throws ModelFormatException, IOException {
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IOException("the output " + out + " is the input; write to another file");
        }
        try (ModelFile file = ModelFiles.open(in)) {
            ModelSpec spec = ModelSpec.of(file);
            boolean hf = spec.names() == TensorNames.HF;
            Map<String, MetadataValue> metadata = hf
                    ? HfMetadata.of(Files.isDirectory(in) ? in : in.toAbsolutePath().getParent(), spec)
                    : new LinkedHashMap<>(file.metadata().asMap());
            List<ConvertedTensor> tensors = hf ? fromHuggingFace(file, spec) : fromGgufNames(file);
            switch (options.target()) {
                case GGUF -> GgufOutput.write(metadata, tensors,
                        options.type() == null ? null : GgufOutput.parseType(options.type()), out, progress);
                case SMQ -> SmqOutput.write(metadata, tensors,
                        options.type() == null ? null : SmqOutput.parseScheme(options.type()), options.blockSize(), out, progress);
            }
        }
    }

    private static List<ConvertedTensor> fromGgufNames(ModelFile file) {
        return file.tensors().stream().map(t -> new ConvertedTensor(t.name(), t, 0)).toList();
    }

    private static List<ConvertedTensor> fromHuggingFace(ModelFile file, ModelSpec spec) throws ModelFormatException {
        ModelConfig c = spec.config();
        // GGUF llama files pair dimensions 2i/2i+1 for RoPE; Hugging Face Q/K rows pair i with i + d/2
        boolean permute = c.ropeStyle() == RopeStyle.NEOX && HfMetadata.ggufArchitecture(c).equals("llama");
        TensorView embedding = file.tensor(TensorNames.HF.embedding()).orElse(null);
        List<ConvertedTensor> out = new ArrayList<>();
        for (TensorView t : file.tensors()) {
            String name = TensorNames.toGguf(t.name(), c.layers());
            if (name == null) {
                throw new ModelFormatException(file.path(), t.offset(), "tensor '" + t.name() + "' is not a weight of a "
                        + c.architecture() + " model");
            }
            boolean tiedOutput = name.equals("output.weight") && embedding != null
                    && embedding.data().address() == t.data().address();
            if (tiedOutput) {
                continue; // GGUF leaves a tied output out; readers use token_embd
            }
            int heads = !permute ? 0
                    : name.endsWith("attn_q.weight") || name.endsWith("attn_q.bias") ? c.heads()
                    : name.endsWith("attn_k.weight") || name.endsWith("attn_k.bias") ? c.kvHeads() : 0;
            out.add(new ConvertedTensor(name, t, heads));
        }
        if (spec.ropeFactors() != null) {
            // GGUF has no key for llama3 rope scaling: llama.cpp's converter stores the divisors as this tensor
            out.add(new ConvertedTensor("rope_freqs.weight", f32Vector("rope_freqs.weight", spec.ropeFactors()), 0));
        }
        return out;
    }

    private static TensorView f32Vector(String name, float[] values) {
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * Float.BYTES]);
        for (int i = 0; i < values.length; i++) {
            data.setAtIndex(LE_FLOAT, i, values[i]);
        }
        return new TensorView(name, GgmlType.F32, new long[] {values.length}, 0, data);
    }
}
