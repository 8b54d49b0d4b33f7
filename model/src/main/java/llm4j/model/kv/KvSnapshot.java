package llm4j.model.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory copy of positions {@code [0, positions)} of a {@link PagedKvCache}, in their stored
 * (quantized) form, for the server's prefix cache. Pages are deep-copied both ways: the live cache
 * keeps writing into its tail page and requantizes pages in place, and a restored cache must not
 * change the snapshot, which other sequences may restore again.
 *
 * <p>The same pages {@link PromptCacheFile} writes to disk; this class only keeps them in memory.
 */
public final class KvSnapshot {

    private final KvPage[] pages;
    private final byte[][] calibration;
    private final int positions;
    private final long bytes;

    private KvSnapshot(KvPage[] pages, byte[][] calibration, int positions) {
        this.pages = pages;
        this.calibration = calibration;
        this.positions = positions;
        long sum = 0;
        for (KvPage p : pages) {
            sum += 64; // page object and its small arrays, roughly
            for (byte[] d : p.data) {
                sum += 16 + d.length;
            }
        }
        for (byte[] c : calibration) {
            sum += c == null ? 0 : 16 + c.length;
        }
        this.bytes = sum;
    }

    /**
     * Copies positions {@code [0, positions)} of {@code kv}, or returns null when the cache does not
     * hold them as first stored (a context shift or an eviction renumbered or dropped some).
     */
    public static KvSnapshot capture(PagedKvCache kv, int positions) {
        PagedKvCache.Snapshot snap = kv.snapshot();
        if (snap.shiftedOrEvicted() || positions < 1 || positions > snap.next() || snap.held() != snap.next()) {
            return null;
        }
        List<KvPage> copied = new ArrayList<>();
        for (KvPage p : snap.pages()) {
            if (p.start >= positions) {
                break;
            }
            KvPage c = copy(p);
            c.count = Math.min(p.count, positions - p.start);
            copied.add(c);
        }
        byte[][] cal = kv.calibration();
        byte[][] calCopy = new byte[cal.length][];
        for (int l = 0; l < cal.length; l++) {
            calCopy[l] = cal[l] == null ? null : cal[l].clone();
        }
        // pages point at the cache's calibration arrays by identity; point the copies at the copied arrays
        for (KvPage c : copied) {
            for (int l = 0; l < c.keyExponents.length; l++) {
                if (c.keyExponents[l] != null && cal[l] != null && c.keyExponents[l] == cal[l]) {
                    c.keyExponents[l] = calCopy[l];
                } else {
                    c.keyExponents[l] = null; // unit exponents: the restoring cache supplies its own
                }
            }
        }
        return new KvSnapshot(copied.toArray(KvPage[]::new), calCopy, positions);
    }

    private static KvPage copy(KvPage p) {
        KvPage c = new KvPage(p.start, p.capacity, p.sink, p.level.length);
        c.count = p.count;
        c.ropeDelta = p.ropeDelta;
        System.arraycopy(p.level, 0, c.level, 0, p.level.length);
        for (int l = 0; l < p.data.length; l++) {
            c.data[l] = p.data[l].clone();
            c.keyExponents[l] = p.keyExponents[l];
        }
        return c;
    }

    /** Positions the snapshot holds. */
    public int positions() {
        return positions;
    }

    /** Approximate heap bytes the snapshot holds (what the prefix cache's memory cap counts). */
    public long bytes() {
        return bytes;
    }

    /**
     * Makes positions {@code [0, min(wanted, positions()))} the whole content of {@code kv} (which must
     * have the configuration the snapshot was taken with); returns the positions actually restored,
     * fewer when the cap, a demoted partial page or the smoothing calibration window stops it.
     */
    public int restoreInto(PagedKvCache kv, int wanted) {
        int n = Math.min(wanted, positions);
        byte[][] cal = new byte[calibration.length][];
        for (int l = 0; l < cal.length; l++) {
            cal[l] = calibration[l] == null ? null : calibration[l].clone();
        }
        KvPage[] copies = new KvPage[pages.length];
        for (int i = 0; i < pages.length; i++) {
            copies[i] = copy(pages[i]);
            for (int l = 0; l < copies[i].keyExponents.length; l++) {
                // the restoring cache adopts these calibration arrays; its pages share them by identity
                copies[i].keyExponents[l] = pages[i].keyExponents[l] != null ? cal[l] : null;
            }
        }
        return kv.restore(copies, n, cal);
    }

    /**
     * Fills a fresh {@code kv} with this snapshot, for {@link PromptCacheFile#save} (which saves a
     * whole cache): the persisted form of a prefix-cache entry is exactly a prompt-cache file.
     */
    public boolean fill(PagedKvCache kv) {
        return restoreInto(kv, positions) == positions;
    }
}
