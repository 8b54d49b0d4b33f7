package llm4j.model.kv;

import llm4j.model.kv.PromptCacheFile.LoadResult;
import llm4j.model.kv.PromptCacheFile.PromptCacheException;

/**
 * An in-memory copy of the first positions of a {@link PagedKvCache}, in their stored (quantized)
 * form, for the server's prefix cache. It is a prompt-cache image ({@link PromptCacheFile#encode}),
 * so a snapshot and a prompt-cache file restore by the same code, key-smoothing calibration
 * included, and the live cache may go on writing and requantizing without touching it.
 */
public final class KvSnapshot {

    /** The identity inside the image; a snapshot is only ever restored into caches of the same model. */
    private static final String IDENTITY = "llm4j prefix snapshot";

    private final byte[] image;
    private final int positions;

    private KvSnapshot(byte[] image, int positions) {
        this.image = image;
        this.positions = positions;
    }

    /**
     * Copies positions {@code [0, positions)} of {@code kv}, or returns null when the cache does not
     * hold them as first stored (a context shift or an eviction renumbered or dropped some).
     */
    public static KvSnapshot capture(PagedKvCache kv, int positions) {
        int held = kv.nextPosition();
        if (positions < 1 || positions > held) {
            return null;
        }
        // the image keeps every held position (token ids do not matter here: the prefix cache keys
        // entries by its own copy of them); restores stop at this snapshot's length
        byte[] image = PromptCacheFile.encode(IDENTITY, kv, new int[held], null);
        return image == null ? null : new KvSnapshot(image, positions);
    }

    /** Positions the snapshot holds. */
    public int positions() {
        return positions;
    }

    /** Heap bytes the snapshot holds (what the prefix cache's memory cap counts). */
    public long bytes() {
        return 16L + image.length;
    }

    /**
     * Makes positions {@code [0, min(wanted, positions()))} the whole content of the cleared
     * {@code kv} (which must have the configuration the snapshot was taken with); returns the
     * positions actually restored, fewer when the cap or a demoted partial page stops it, 0 when the
     * configuration differs.
     */
    public int restoreInto(PagedKvCache kv, int wanted) {
        int n = Math.min(wanted, positions);
        if (n < 1) {
            return 0;
        }
        try {
            // decode restores at most prompt.length - 1 positions of a prompt matching the stored ids
            LoadResult r = PromptCacheFile.decode(image, "prefix snapshot", IDENTITY, kv, new int[n + 1]);
            return r.mismatch() == null ? r.restored() : 0;
        } catch (PromptCacheException e) {
            throw new IllegalStateException("a prefix snapshot made in this process failed to decode: " + e.getMessage(), e);
        }
    }

    /**
     * Fills a fresh {@code kv} with this snapshot, for {@link PromptCacheFile#save} (which saves a
     * whole cache): the persisted form of a prefix-cache entry is exactly a prompt-cache file.
     */
    public boolean fill(PagedKvCache kv) {
        return restoreInto(kv, positions) == positions;
    }
}
