package llm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import llm4j.model.kv.KvGeometry;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.KvSnapshot;
import llm4j.model.kv.PagedKvCache;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Block-granular lookup, TTL and LRU of the prefix cache, with a clock the test moves. */
class PrefixCacheTest {

    /** A clock that only moves when told. */
    static final class ManualClock extends Clock {
        long millis = 1_000_000;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        void advance(Duration d) {
            millis += d.toMillis();
        }
    }

    static final KvGeometry G = new KvGeometry(1, 1, 8);

    /** A real snapshot of {@code n} positions (contents do not matter to the cache). */
    static KvSnapshot snapshot(int n) {
        PagedKvCache kv = new PagedKvCache(G, 4096, KvSettings.defaults(), null);
        kv.reserve(0, n);
        float[] row = new float[G.kvDim()];
        for (int p = 0; p < n; p++) {
            row[0] = p;
            kv.store(0, p, row, 0, row, 0);
        }
        return KvSnapshot.capture(kv, n);
    }

    static int[] tokens(int n, int seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = seed * 1000 + i;
        }
        return t;
    }

    static int[] withTail(int[] head, int keep, int tail, int seed) {
        int[] t = Arrays.copyOf(head, keep + tail);
        for (int i = keep; i < t.length; i++) {
            t[i] = -seed - i;
        }
        return t;
    }

    final ManualClock clock = new ManualClock();

    PrefixCache cache(long cap, Duration ttl) {
        return new PrefixCache(cap, ttl, clock, null);
    }

    @Test
    void findsTheLongestCommonPrefixFromAFullBlockOn() {
        PrefixCache c = cache(1 << 20, Duration.ofHours(1));
        int[] stored = tokens(200, 1);
        assertTrue(c.insert(stored, snapshot(200)));
        PrefixCache.Hit hit = c.lookup(withTail(stored, 150, 20, 2));
        assertNotNull(hit);
        assertEquals(150, hit.tokens(), "matched block-wise, then extended token by token");
        assertNull(c.lookup(withTail(stored, 63, 100, 3)), "less than one block in common");
        assertEquals(64, c.lookup(withTail(stored, 64, 1, 4)).tokens());
        assertEquals(199, c.lookup(stored).tokens(), "the last prompt token is always evaluated");
        assertEquals(3, c.hits());
        assertEquals(1, c.misses());
        assertFalse(c.insert(tokens(63, 5), snapshot(63)), "shorter than a block");
    }

    @Test
    void anEntryContainedInAnotherAddsNothing() {
        PrefixCache c = cache(1 << 20, Duration.ofHours(1));
        int[] longer = tokens(300, 1);
        assertTrue(c.insert(Arrays.copyOf(longer, 130), snapshot(130)));
        assertTrue(c.insert(longer, snapshot(300)));
        assertEquals(1, c.entries(), "the longer entry replaces the one it extends");
        assertFalse(c.insert(Arrays.copyOf(longer, 200), snapshot(200)));
        assertEquals(1, c.entries());
        assertEquals(snapshot(300).bytes(), c.bytes());
    }

    @Test
    void entriesExpireAfterTheTtlUnused() {
        PrefixCache c = cache(1 << 20, Duration.ofMinutes(10));
        int[] a = tokens(128, 1);
        c.insert(a, snapshot(128));
        clock.advance(Duration.ofMinutes(9));
        assertNotNull(c.lookup(withTail(a, 128, 5, 1)), "used after 9 minutes: the TTL starts again");
        clock.advance(Duration.ofMinutes(9));
        assertNotNull(c.lookup(withTail(a, 128, 5, 1)));
        clock.advance(Duration.ofMinutes(10));
        assertNull(c.lookup(withTail(a, 128, 5, 1)));
        assertEquals(0, c.entries());
        assertEquals(0, c.bytes());
        assertEquals(1, c.expirations());
    }

    @Test
    void theLeastRecentlyUsedEntryGoesWhenTheCapIsReached() {
        long one = snapshot(128).bytes();
        PrefixCache c = cache(2 * one + one / 2, Duration.ofHours(1));
        int[] a = tokens(128, 1);
        int[] b = tokens(128, 2);
        int[] d = tokens(128, 3);
        c.insert(a, snapshot(128));
        clock.advance(Duration.ofSeconds(1));
        c.insert(b, snapshot(128));
        clock.advance(Duration.ofSeconds(1));
        assertNotNull(c.lookup(withTail(a, 128, 1, 9)), "a is now more recently used than b");
        c.insert(d, snapshot(128));
        assertEquals(2, c.entries());
        assertEquals(1, c.evictions());
        assertNull(c.lookup(withTail(b, 128, 1, 9)), "b was evicted");
        assertNotNull(c.lookup(withTail(a, 128, 1, 9)));
        assertNotNull(c.lookup(withTail(d, 128, 1, 9)));
        assertTrue(c.bytes() <= c.capBytes());
        assertFalse(cache(one - 1, Duration.ofHours(1)).insert(a, snapshot(128)), "larger than the whole cap");
    }

    @Property(tries = 40)
    void bytesStayUnderTheCapAndHitsAreRealPrefixes(@ForAll @IntRange(min = 1, max = 1000) int seed,
                                                     @ForAll @IntRange(min = 1, max = 6) int capEntries) {
        Random r = new Random(seed);
        PrefixCache c = cache(capEntries * snapshot(192).bytes(), Duration.ofMinutes(5));
        List<int[]> seen = new ArrayList<>();
        for (int op = 0; op < 30; op++) {
            // few distinct tokens and shared heads: many prefixes in common
            int[] t = seen.isEmpty() || r.nextBoolean() ? tokens(64 + r.nextInt(128), r.nextInt(3))
                    : withTail(seen.get(r.nextInt(seen.size())), 64 + r.nextInt(64), r.nextInt(64), op);
            t = Arrays.copyOf(t, Math.min(t.length, 192));
            clock.advance(Duration.ofSeconds(r.nextInt(90)));
            PrefixCache.Hit hit = c.lookup(t);
            if (hit != null) {
                int[] e = hit.entry().tokens();
                assertTrue(hit.tokens() >= PrefixCache.BLOCK && hit.tokens() < t.length);
                assertTrue(Arrays.equals(e, 0, hit.tokens(), t, 0, hit.tokens()));
            }
            c.insert(t, snapshot(t.length));
            seen.add(t);
            assertTrue(c.bytes() <= c.capBytes(), c.bytes() + " > " + c.capBytes());
        }
    }
}
