package llm4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.quant.GgmlType;

/**
 * What {@code ollama show} tells about a model, read from any {@link ModelFile}'s metadata and tensors
 * without loading the model (so it works for architectures llm4j cannot run). Missing keys stay null.
 */
record ModelSummary(String architecture, String name, long parameters, long fileSize, long tensorBytes,
                    double bitsPerWeight, Long contextLength, Long embeddingLength, Long layers, Long heads,
                    Long kvHeads, Long headDim, String tokenizer, Integer vocabSize, boolean chatTemplate,
                    Map<String, Long> kvBytesPerToken) {

    static ModelSummary of(ModelFile file) {
        Metadata md = file.metadata();
        String arch = string(md, "general.architecture");
        long params = 0;
        long bytes = 0;
        for (TensorView t : file.tensors()) {
            params += t.elementCount();
            bytes += t.byteSize();
        }
        String p = arch == null ? "" : arch + ".";
        Long embedding = number(md, p + "embedding_length");
        Long heads = number(md, p + "attention.head_count");
        Long kvHeads = number(md, p + "attention.head_count_kv");
        if (kvHeads == null) {
            kvHeads = heads;
        }
        Long headDim = number(md, p + "attention.key_length");
        if (headDim == null && embedding != null && heads != null && heads > 0) {
            headDim = embedding / heads;
        }
        Long layers = number(md, p + "block_count");
        MetadataValue tokens = md.get("tokenizer.ggml.tokens").orElse(null);
        Map<String, Long> kv = new LinkedHashMap<>();
        if (layers != null && kvHeads != null && headDim != null) {
            for (GgmlType t : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0}) {
                // llama.cpp quantizes K/V per head: a head narrower than a block cannot be stored in that type
                kv.put(t.label(), headDim % t.blockSize() == 0 ? 2 * layers * kvHeads * t.bytesFor(headDim) : null);
            }
        }
        return new ModelSummary(arch, string(md, "general.name"), params, file.fileSize(), bytes,
                params == 0 ? 0 : 8.0 * bytes / params, number(md, p + "context_length"), embedding, layers, heads,
                kvHeads, headDim, string(md, "tokenizer.ggml.model"), tokens == null ? null : tokens.length(),
                md.has("tokenizer.chat_template"), kv);
    }

    private static String string(Metadata md, String key) {
        MetadataValue v = md.get(key).orElse(null);
        return v != null && v.type() == ValueType.STRING ? (String) v.value() : null;
    }

    private static Long number(Metadata md, String key) {
        MetadataValue v = md.get(key).orElse(null);
        return v != null && v.type().isInteger() ? (Long) v.value() : null;
    }

    /** "SentencePiece" for llama.cpp's "llama" tokenizer model, "byte-level BPE" for "gpt2", else as stored. */
    String tokenizerKind() {
        if (tokenizer == null) {
            return null;
        }
        return switch (tokenizer) {
            case "llama" -> "SentencePiece (llama)";
            case "gpt2" -> "byte-level BPE (gpt2)";
            default -> tokenizer;
        };
    }
}
