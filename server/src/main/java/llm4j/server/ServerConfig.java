package llm4j.server;

import java.nio.file.Path;
import java.time.Duration;

import llm4j.model.kv.KvSettings;
import llm4j.model.sample.SamplerSettings;

/**
 * Everything {@code llm4j serve} was told on its command line.
 *
 * @param modelId       the name clients pass as {@code model} (and {@code /v1/models} lists)
 * @param parallel      sequences decoded at once, each in its own slot with its own KV cache
 * @param queue         requests waiting for a slot before further ones get 503
 * @param context       positions per slot
 * @param kv            the KV flags; a cap in them is the global cap, shared evenly by the slots
 * @param sampling      defaults for fields a request leaves out
 * @param apiKey        required as {@code Authorization: Bearer KEY}, or null for none
 * @param cacheTtl      how long an unused prefix-cache entry lives
 * @param cacheMemCap   bytes the prefix cache may hold (0: no prefix cache)
 * @param cacheDir      where prefix-cache entries persist, or null
 * @param timeout       longest a request may take, queueing included
 * @param maxBodyBytes  larger request bodies get 413
 */
public record ServerConfig(String host, int port, String modelId, int parallel, int queue, int context, int batch,
                           KvSettings kv, SamplerSettings sampling, String apiKey, Duration cacheTtl, long cacheMemCap,
                           Path cacheDir, Duration timeout, int maxBodyBytes) {

    public static final int DEFAULT_MAX_BODY = 1 << 20;

    public ServerConfig {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("--queue must not be negative, not " + queue);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, not " + port);
        }
        if (cacheMemCap < 0) {
            throw new IllegalArgumentException("--cache-mem-cap must not be negative");
        }
    }

    /** The cap each slot's cache gets: the global --kv-mem-cap split evenly, so their sum never exceeds it. */
    public KvSettings slotKv() {
        return kv.capped() ? kv.withCap(kv.capBytes() / parallel, kv.overflow()) : kv;
    }
}
