package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;

import llm4j.quant.kv.F16Codec;
import llm4j.quant.kv.Q8_0Codec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** A snapshot restored into another cache attends exactly like the cache it was taken from, and owns its pages. */
class KvSnapshotTest {

    static final KvGeometry G = new KvGeometry(2, 2, 32);

    static PagedKvCache filled(KvSettings s, int positions, long seed) {
        PagedKvCache kv = new PagedKvCache(G, 512, s, null);
        append(kv, 0, positions, seed);
        return kv;
    }

    static void append(PagedKvCache kv, int from, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        kv.reserve(from, n);
        float[] k = new float[G.kvDim()];
        float[] v = new float[G.kvDim()];
        for (int p = from; p < from + n; p++) {
            for (int l = 0; l < G.layers(); l++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) r.nextGaussian() * (i % 7 == 0 ? 8 : 1);
                    v[i] = (float) r.nextGaussian();
                }
                kv.store(l, p, k, 0, v, 0);
            }
        }
    }

    static float[] attention(PagedKvCache kv, int to, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] q = new float[G.headDim() * 2];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
        }
        float[] out = new float[G.layers() * G.kvHeads() * q.length];
        float[] scratch = new float[kv.scratchFloats(to, 2)];
        float[] head = new float[q.length];
        for (int l = 0; l < G.layers(); l++) {
            for (int h = 0; h < G.kvHeads(); h++) {
                kv.attendGroup(l, h, 2, G.headDim(), q, 0, 0, to, 0.2f, scratch, head, 0);
                System.arraycopy(head, 0, out, (l * G.kvHeads() + h) * q.length, q.length);
            }
        }
        return out;
    }

    @Property(tries = 20)
    void aRestoredPrefixAttendsExactlyLikeTheOriginal(@ForAll @IntRange(min = 1, max = 300) int total,
                                                      @ForAll @IntRange(min = 1, max = 300) int cut,
                                                      @ForAll boolean quantized) {
        int positions = Math.min(cut, total);
        KvSettings s = quantized ? KvSettings.of(Q8_0Codec.INSTANCE, Q8_0Codec.INSTANCE) : KvSettings.of(F16Codec.INSTANCE, F16Codec.INSTANCE);
        PagedKvCache original = filled(s, total, total * 31L + cut);
        KvSnapshot snap = KvSnapshot.capture(original, positions);
        PagedKvCache restored = new PagedKvCache(G, 512, s, null);
        int got = snap.restoreInto(restored, positions);
        if (got == 0) {
            // smoothed keys: a prefix that cuts the calibration window is not restored at all
            assertEquals(true, restored.keysSmoothed() && positions < KvSettings.DEFAULT_SINKS + PagedKvCache.SMOOTHING_CALIBRATION);
            return;
        }
        assertEquals(positions, got);
        assertEquals(positions, restored.nextPosition());
        assertArrayEquals(attention(original, positions, 7), attention(restored, positions, 7));
        // the restored cache goes on writing; neither the original nor the snapshot may notice
        float[] whole = attention(original, total, 9);
        float[] prefix = attention(original, positions, 9);
        append(restored, positions, 40, 99);
        assertArrayEquals(whole, attention(original, total, 9));
        PagedKvCache again = new PagedKvCache(G, 512, s, null);
        assertEquals(positions, snap.restoreInto(again, positions));
        assertArrayEquals(prefix, attention(again, positions, 9));
    }

    @Property(tries = 10)
    void aRestoreMayStopShortOfTheSnapshot(@ForAll @IntRange(min = 70, max = 300) int total,
                                           @ForAll @IntRange(min = 1, max = 299) int wanted) {
        KvSettings s = KvSettings.defaults();
        PagedKvCache original = filled(s, total, total);
        KvSnapshot snap = KvSnapshot.capture(original, total);
        PagedKvCache restored = new PagedKvCache(G, 512, s, null);
        int n = Math.min(wanted, total);
        assertEquals(n, snap.restoreInto(restored, wanted));
        assertArrayEquals(attention(original, n, 3), attention(restored, n, 3));
    }

    @Property(tries = 5)
    void positionsTheCacheDoesNotHoldAreNotCaptured(@ForAll @IntRange(min = 200, max = 300) int total) {
        KvSettings s = KvSettings.defaults().withCap(0, KvOverflow.EVICT);
        PagedKvCache kv = filled(s, total, 1);
        kv.truncate(total - 10);
        assertEquals(total - 10, KvSnapshot.capture(kv, total - 10).positions());
        assertNull(KvSnapshot.capture(kv, total), "positions the cache does not hold");
    }
}
