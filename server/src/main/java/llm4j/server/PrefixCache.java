package llm4j.server;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import llm4j.model.kv.KvSnapshot;

/**
 * KV states of finished requests, indexed by their token prefixes, so a request that repeats a long
 * prefix (system prompt, tool definitions, chat history) prefills only what is new.
 *
 * <p>Entries are found through a hash chain over {@value #BLOCK}-token blocks: block k's key hashes
 * block k's tokens into block k-1's key, so one key names a whole prefix. A lookup walks the
 * prompt's chain from its longest full-block prefix down and takes the first key an entry was
 * indexed under; the tokens are then compared (a hash collision cannot hand out the wrong state)
 * and the match extended token by token past the last full block.
 *
 * <p>An entry lives until it has not been used for the TTL, or until it is the least recently used
 * one when the bytes would exceed the cap. An entry whose tokens another entry starts with adds
 * nothing and is dropped. Times come from a {@link Clock} so tests can move time. Thread-safe.
 */
public final class PrefixCache {

    /** Tokens per indexed block. */
    public static final int BLOCK = 64;

    /** A cached state: the tokens its KV holds. */
    public static final class Entry {
        private final int[] tokens;
        private final KvSnapshot snapshot;
        private final long[] chain;
        private long lastUsedMillis;

        Entry(int[] tokens, KvSnapshot snapshot, long now) {
            this.tokens = tokens;
            this.snapshot = snapshot;
            this.chain = chain(tokens);
            this.lastUsedMillis = now;
        }

        public int[] tokens() {
            return tokens.clone();
        }

        public KvSnapshot snapshot() {
            return snapshot;
        }

        public long lastUsedMillis() {
            return lastUsedMillis;
        }
    }

    /** What a lookup found: the entry and how many leading prompt tokens it holds. */
    public record Hit(Entry entry, int tokens) {
    }

    /** Hears about entries as they come and go (the disk store). */
    public interface Listener {
        void added(Entry e);

        void removed(Entry e);
    }

    private final long capBytes;
    private final Duration ttl;
    private final Clock clock;
    private final Listener listener;
    /** Access order: the first entry is the least recently used. */
    private final LinkedHashMap<Entry, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Long, List<Entry>> index = new HashMap<>();
    private long bytes;
    private long hits;
    private long misses;
    private long cachedTokens;
    private long evictions;
    private long expirations;

    public PrefixCache(long capBytes, Duration ttl, Clock clock, Listener listener) {
        this.capBytes = capBytes;
        this.ttl = ttl;
        this.clock = clock;
        this.listener = listener == null ? new Listener() {
            public void added(Entry e) {
            }

            public void removed(Entry e) {
            }
        } : listener;
    }

    public boolean enabled() {
        return capBytes > 0;
    }

    /** Key of each full block: chain[k] names tokens [0, (k + 1) * BLOCK). */
    static long[] chain(int[] tokens) {
        long[] out = new long[tokens.length / BLOCK];
        long h = 0x243F6A8885A308D3L;
        for (int k = 0; k < out.length; k++) {
            for (int i = k * BLOCK; i < (k + 1) * BLOCK; i++) {
                h = (h ^ tokens[i]) * 0x9E3779B97F4A7C15L;
                h ^= h >>> 29;
            }
            out[k] = h;
        }
        return out;
    }

    /**
     * The entry holding the longest prefix of {@code prompt}, up to {@code prompt.length - 1} tokens
     * (the last prompt token is always evaluated, for its logits); null when none holds a full block.
     */
    public synchronized Hit lookup(int[] prompt) {
        expire();
        long[] chain = chain(prompt);
        for (int k = chain.length - 1; k >= 0; k--) {
            List<Entry> candidates = index.get(chain[k]);
            if (candidates == null) {
                continue;
            }
            Entry best = null;
            int bestLength = 0;
            for (Entry e : candidates) {
                int common = commonPrefix(e.tokens, prompt, prompt.length - 1);
                if (common >= (k + 1) * BLOCK && common > bestLength) {
                    best = e;
                    bestLength = common;
                }
            }
            if (best != null) {
                best.lastUsedMillis = clock.millis();
                lru.get(best); // access order: now the most recently used
                hits++;
                return new Hit(best, bestLength);
            }
        }
        misses++;
        return null;
    }

    /** Counts tokens a hit actually restored (a restore can stop short of the match). */
    public synchronized void restored(int tokens) {
        cachedTokens += tokens;
    }

    /**
     * Keeps {@code snapshot}, the KV of {@code tokens}. Returns false when it is shorter than a block,
     * larger than the whole cap, or already covered by an entry that starts with the same tokens.
     */
    public synchronized boolean insert(int[] tokens, KvSnapshot snapshot) {
        expire();
        if (tokens.length < BLOCK || snapshot.bytes() > capBytes) {
            return false;
        }
        for (Entry e : lru.keySet()) {
            if (e.tokens.length >= tokens.length && commonPrefix(e.tokens, tokens, tokens.length) == tokens.length) {
                e.lastUsedMillis = clock.millis(); // the same prefix again: refresh it
                lru.get(e);
                return false;
            }
        }
        List<Entry> covered = new ArrayList<>();
        for (Entry e : lru.keySet()) {
            if (commonPrefix(e.tokens, tokens, e.tokens.length) == e.tokens.length) {
                covered.add(e);
            }
        }
        covered.forEach(this::remove);
        Entry entry = new Entry(tokens.clone(), snapshot, clock.millis());
        add(entry);
        while (bytes > capBytes) {
            Entry eldest = lru.keySet().iterator().next();
            remove(eldest);
            evictions++;
        }
        return lru.containsKey(entry);
    }

    /** Adds an entry loaded from disk with the time it was last used (it may be expired already). */
    public synchronized void adopt(int[] tokens, KvSnapshot snapshot, long lastUsedMillis) {
        if (tokens.length < BLOCK || bytes + snapshot.bytes() > capBytes) {
            return;
        }
        Entry e = new Entry(tokens.clone(), snapshot, lastUsedMillis);
        lru.put(e, Boolean.TRUE);
        bytes += snapshot.bytes();
        for (long key : e.chain) {
            index.computeIfAbsent(key, x -> new ArrayList<>(2)).add(e);
        }
        expire();
    }

    private void add(Entry e) {
        lru.put(e, Boolean.TRUE);
        bytes += e.snapshot.bytes();
        for (long key : e.chain) {
            index.computeIfAbsent(key, x -> new ArrayList<>(2)).add(e);
        }
        listener.added(e);
    }

    private void remove(Entry e) {
        if (lru.remove(e) == null) {
            return;
        }
        bytes -= e.snapshot.bytes();
        for (long key : e.chain) {
            List<Entry> list = index.get(key);
            if (list != null) {
                list.remove(e);
                if (list.isEmpty()) {
                    index.remove(key);
                }
            }
        }
        listener.removed(e);
    }

    /** Drops entries unused for the TTL. */
    public synchronized void expire() {
        long cutoff = clock.millis() - ttl.toMillis();
        List<Entry> old = new ArrayList<>();
        for (Entry e : lru.keySet()) {
            if (e.lastUsedMillis <= cutoff) {
                old.add(e);
            }
        }
        for (Entry e : old) {
            remove(e);
            expirations++;
        }
    }

    private static int commonPrefix(int[] a, int[] b, int limit) {
        int n = Math.min(Math.min(a.length, b.length), limit);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    public synchronized int entries() {
        return lru.size();
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized long cachedTokens() {
        return cachedTokens;
    }

    public synchronized long evictions() {
        return evictions;
    }

    public synchronized long expirations() {
        return expirations;
    }

    public long capBytes() {
        return capBytes;
    }
}
