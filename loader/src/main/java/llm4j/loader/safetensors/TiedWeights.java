package llm4j.loader.safetensors;

import java.util.Map;

import llm4j.loader.TensorView;

/**
 * PyTorch's {@code save_model} stores a tensor shared by two names once and records the dropped name in
 * {@code __metadata__} as {@code "dropped": "kept"} (e.g. {@code model.embed_tokens.weight → lm_head.weight}).
 * This adds the dropped names back as views of the kept tensor's bytes.
 */
final class TiedWeights {

    private TiedWeights() {
    }

    /** Adds an alias for every metadata entry whose value names a tensor and whose key names none. */
    static void resolve(Map<String, String> metadata, Map<String, TensorView> byName) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            TensorView kept = byName.get(e.getValue());
            if (kept != null && !byName.containsKey(e.getKey())) {
                byName.put(e.getKey(), kept.renamed(e.getKey()));
            }
        }
    }
}
