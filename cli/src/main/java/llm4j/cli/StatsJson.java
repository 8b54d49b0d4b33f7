package llm4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import llm4j.model.generate.GenerationStats;
import llm4j.model.kv.KvStats;

/** {@code run --stats-json FILE}: generation speed and the KV cache's state as one JSON object. */
final class StatsJson {

    private StatsJson() {
    }

    static void write(Path file, GenerationStats g, KvStats kv) {
        Map<String, Object> generation = new LinkedHashMap<>();
        generation.put("prompt_tokens", g.promptTokens());
        generation.put("prompt_seconds", g.promptNanos() / 1e9);
        generation.put("prompt_tokens_per_second", g.promptTokensPerSecond());
        generation.put("generated_tokens", g.generatedTokens());
        generation.put("generate_seconds", g.generateNanos() / 1e9);
        generation.put("generate_tokens_per_second", g.generateTokensPerSecond());
        generation.put("stop", g.stop().name().toLowerCase(java.util.Locale.ROOT));
        Map<String, Object> cache = new LinkedHashMap<>();
        cache.put("bytes_used", kv.bytesUsed());
        cache.put("cap_bytes", kv.capBytes());
        cache.put("peak_bytes", kv.peakBytes());
        cache.put("positions_held", kv.positionsHeld());
        cache.put("next_position", kv.nextPosition());
        cache.put("keys_rotated", kv.keysRotated());
        cache.put("keys_smoothed", kv.keysSmoothed());
        cache.put("rungs", kv.rungs());
        cache.put("bytes_per_token", kv.bytesPerToken());
        cache.put("positions_per_rung_per_layer", kv.positionsPerRung());
        cache.put("requantizations", kv.requantizations());
        cache.put("requantized_layer_positions", kv.requantizedPositions());
        cache.put("evictions", kv.evictions());
        cache.put("evicted_positions", kv.evictedPositions());
        cache.put("shifts", kv.shifts());
        cache.put("discarded_positions", kv.discardedPositions());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("generation", generation);
        root.put("kv_cache", cache);
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw CliException.failure("cannot write " + file + ": " + e.getMessage());
        }
    }
}
