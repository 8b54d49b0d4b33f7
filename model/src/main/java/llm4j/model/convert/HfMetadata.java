package llm4j.model.convert;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;
import llm4j.model.GenerationDefaults;
import llm4j.model.ModelConfig;
import llm4j.model.load.HfFolder;
import llm4j.model.load.ModelSpec;
import llm4j.model.tokenizer.TokenizerMetadata;

/**
 * GGUF-style metadata for a Hugging Face model, with the key names and types llama.cpp's converter writes. Mistral
 * is written as {@code llama} (llama.cpp has no mistral architecture) with its sliding window kept.
 */
final class HfMetadata {

    private HfMetadata() {
    }

    /** The GGUF architecture a converted model is written as. */
    static String ggufArchitecture(ModelConfig c) {
        return c.architecture().equals("mistral") ? "llama" : c.architecture();
    }

    static Map<String, MetadataValue> of(Path dir, ModelSpec spec) throws ModelFormatException {
        ModelConfig c = spec.config();
        String a = ggufArchitecture(c);
        Map<String, MetadataValue> md = new LinkedHashMap<>();
        md.put("general.architecture", str(a));
        md.put("general.name", str(dir.toAbsolutePath().normalize().getFileName().toString()));
        md.put(a + ".context_length", u32(c.contextLength()));
        md.put(a + ".embedding_length", u32(c.dim()));
        md.put(a + ".block_count", u32(c.layers()));
        md.put(a + ".feed_forward_length", u32(c.hiddenDim()));
        md.put(a + ".attention.head_count", u32(c.heads()));
        md.put(a + ".attention.head_count_kv", u32(c.kvHeads()));
        if (c.headDim() != c.dim() / c.heads()) {
            md.put(a + ".attention.key_length", u32(c.headDim()));
            md.put(a + ".attention.value_length", u32(c.headDim()));
        }
        md.put(a + ".rope.dimension_count", u32(c.ropeDim()));
        md.put(a + ".rope.freq_base", f32(c.ropeBase()));
        md.put(a + ".attention.layer_norm_rms_epsilon", f32(c.rmsEps()));
        md.put(a + ".vocab_size", u32(c.vocabSize()));
        if (c.slidingWindow() > 0) {
            md.put(a + ".attention.sliding_window", u32(c.slidingWindow()));
        }
        if (c.ropeScale() != 1f) {
            md.put(a + ".rope.scaling.type", str("linear"));
            md.put(a + ".rope.scaling.factor", f32(1f / c.ropeScale()));
        }
        HfFolder folder = HfFolder.read(dir);
        md.putAll(TokenizerMetadata.of(spec.tokenizer(), folder.tokenizer()));
        spec.chatTemplate().ifPresent(t -> md.put(ModelSpec.CHAT_TEMPLATE, str(t)));
        GenerationDefaults g = spec.generationDefaults();
        if (g.temperature() != null) {
            md.put("general.sampling.temp", f32(g.temperature()));
        }
        if (g.topK() != null) {
            md.put("general.sampling.top_k", MetadataValue.of(ValueType.INT32, (long) g.topK()));
        }
        if (g.topP() != null) {
            md.put("general.sampling.top_p", f32(g.topP()));
        }
        if (g.minP() != null) {
            md.put("general.sampling.min_p", f32(g.minP()));
        }
        if (g.repeatPenalty() != null) {
            md.put("general.sampling.penalty_repeat", f32(g.repeatPenalty()));
        }
        return md;
    }

    private static MetadataValue str(String s) {
        return MetadataValue.of(ValueType.STRING, s);
    }

    private static MetadataValue u32(int v) {
        return MetadataValue.of(ValueType.UINT32, (long) v);
    }

    private static MetadataValue f32(float v) {
        return MetadataValue.of(ValueType.FLOAT32, v);
    }
}
