package llm4j.model.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import llm4j.model.Rope;
import llm4j.model.math.FloatMath;
import llm4j.quant.kv.Hadamard;
import llm4j.quant.kv.KvCodec;

/**
 * The K/V cache: positions live in pages of {@value #PAGE_POSITIONS} (the first page holds just
 * the attention sinks), and every (page, layer) pair carries its own rung of the precision ladder.
 * Attention walks the pages and decodes each one's blocks inside the codec kernels; nothing is
 * dequantized into a float copy.
 *
 * <p>Under a memory cap, {@link #reserve} makes room before a batch is stored: it moves the
 * oldest (page, layer) pairs at the highest rung still present one rung down, layer by layer,
 * never touching the sinks or the recent window; only when everything else sits at the lowest rung
 * does the overflow policy act. Accounted bytes (data, scales, and an estimate of the JVM's object
 * headers and references) never exceed the cap, transients included: requantizing allocates the
 * smaller arrays before releasing the larger ones, so the cache keeps one such target's worth of
 * headroom ({@link #slack}).
 *
 * <p>A context shift does not touch stored keys at all. A key stored at position p and renumbered
 * to p - D scores against q as {@code (R(D) q) · k} (RoPE rotations compose), so each page
 * remembers D and attention rotates the query instead: exact, without requantizing anything.
 *
 * <p>Threads: {@link #attend} may run concurrently; everything else runs on one thread between
 * attention passes.
 */
public final class PagedKvCache implements KvCache {

    /** Positions after the sinks whose keys calibrate the smoothing scales (see {@link KeyCalibration}). */
    static final int SMOOTHING_CALIBRATION = KeyCalibration.POSITIONS;
    /** 2^e for the exponents a smoothing byte holds. */
    private static final float[] POW2 = new float[256];

    static {
        for (int e = -128; e < 128; e++) {
            POW2[e + 128] = Math.scalb(1f, e);
        }
    }

    /** Positions per page: the granularity of requantization and eviction. */
    public static final int PAGE_POSITIONS = 32;
    /** JVM object and array headers (compressed references, 8-byte alignment) as bookkeeping is accounted. */
    private static final int OBJECT_HEADER = 16;
    private static final int ARRAY_HEADER = 16;
    /** A page's own fields: four ints, a boolean and two references. */
    private static final int PAGE_FIELDS = 32;

    private final KvGeometry geometry;
    private final int layers;
    private final int headDim;
    private final int kvDim;
    private final int maxPositions;
    private final KvSettings settings;
    private final Rope rope;
    private final RowLayout[] keyRungs;
    private final RowLayout[] valueRungs;
    private final int levels;
    private final boolean rotateKeys;
    private final int hadamardBlock;
    /** Whether keys are channel-smoothed (see {@link #calibration}). */
    private final boolean smoothKeys;
    /** The smoothing calibration (null when keys are not smoothed); its exponent arrays are shared by pages. */
    private final KeyCalibration calibration;
    /** Exponents of pages begun before calibration: all zero, scale 1. */
    private final byte[] unitExponents;
    private final long cap;
    private final long slack;
    /** Rotated dimensions of RoPE (0 without a Rope): room for a delta's cos and sin in scratch. */
    private final int ropeDim;

    private KvPage[] pages = new KvPage[8];
    private int pageCount;
    /** The next position: everything below it is stored (or was evicted), slots up to it are reserved. */
    private int end;
    private int reservedFrom = -1;
    private long used;
    private long peak;
    private long requantizations;
    private long requantizedPositions;
    private long evictions;
    private long evictedPositions;
    private long shifts;
    private long discardedPositions;

    private final float[] rowScratch;
    private final float[] padScratch;

    /**
     * @param maxPositions the context: positions may not reach it (a context shift renumbers them to stay below)
     * @param rope         the model's RoPE, needed only by {@link KvOverflow#SHIFT}; may be null otherwise
     */
    public PagedKvCache(KvGeometry geometry, int maxPositions, KvSettings settings, Rope rope) {
        if (maxPositions < 1) {
            throw new IllegalArgumentException("context must be at least 1 position");
        }
        this.geometry = geometry;
        this.layers = geometry.layers();
        this.headDim = geometry.headDim();
        this.kvDim = geometry.kvDim();
        this.maxPositions = maxPositions;
        this.settings = settings;
        this.rope = rope;
        this.keyRungs = rungs(settings.keyType(), settings.ladder(), geometry);
        this.valueRungs = rungs(settings.valueType(), settings.ladder(), geometry);
        this.levels = settings.capped() ? Math.max(keyRungs.length, valueRungs.length) : 1;
        int block = Hadamard.blockFor(headDim);
        // the key types actually used: the configured one, plus the ladder below it under a cap
        boolean lowBitKeys = false;
        for (int r = 0; r < (settings.capped() ? keyRungs.length : 1); r++) {
            lowBitKeys |= keyRungs[r].codec.bitsPerElement(keyRungs[r].chunkLen) < 8;
        }
        // AUTO rotates only where quantization blocks lie inside a head (head_dim a multiple of 32): with
        // head_dim 8 (stories260K) a block spans four heads, channel smoothing already evens their scales,
        // and an 8-wide rotation made q4_0's KLD worse (0.371 rotated vs 0.335 not, KvQualityTest)
        this.rotateKeys = block > 1 && switch (settings.rotation()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> lowBitKeys && headDim % 32 == 0;
        };
        this.hadamardBlock = block;
        boolean quantizedKeys = false;
        for (int r = 0; r < (settings.capped() ? keyRungs.length : 1); r++) {
            quantizedKeys |= keyRungs[r].codec.blockSize() > 1;
        }
        this.smoothKeys = switch (settings.smoothing()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> quantizedKeys;
        };
        this.calibration = smoothKeys ? new KeyCalibration(geometry.layers(), geometry.kvDim()) : null;
        this.unitExponents = new byte[geometry.kvDim()];
        this.ropeDim = rope != null ? rope.rotDim() : 0;
        this.cap = settings.capped() ? settings.capBytes() : Long.MAX_VALUE;
        long biggestTarget = 0;
        for (int level = 1; level < levels; level++) {
            biggestTarget = Math.max(biggestTarget, layerBytes(level, PAGE_POSITIONS));
        }
        this.slack = biggestTarget;
        this.used = fixedBytes() + calibrationRowBytes();
        this.peak = used;
        if (used + slack > cap) {
            throw new IllegalArgumentException("a KV cap of " + cap + " bytes is below the cache's fixed " + used + " bytes");
        }
        this.rowScratch = new float[kvDim];
        this.padScratch = new float[Math.max(keyRungs[0].chunkLen, 32) + kvDim + 32];
        if (settings.overflow() == KvOverflow.SHIFT && rope == null) {
            throw new IllegalArgumentException("a context shift needs the model's RoPE");
        }
    }

    /** The configured type followed by every ladder type that takes fewer bytes, in ladder order. */
    private static RowLayout[] rungs(KvCodec configured, List<KvCodec> ladder, KvGeometry g) {
        List<RowLayout> out = new ArrayList<>();
        out.add(new RowLayout(configured, g));
        for (KvCodec c : ladder) {
            RowLayout r = new RowLayout(c, g);
            if (r.rowBytes < out.getLast().rowBytes) {
                out.add(r);
            } else if (r.codec != configured && out.size() > 1) {
                throw new IllegalArgumentException("the KV ladder must shrink at every rung: " + c.name() + " after "
                        + out.getLast().codec.name() + " does not");
            }
        }
        return out.toArray(RowLayout[]::new);
    }

    public KvSettings settings() {
        return settings;
    }

    public KvGeometry geometry() {
        return geometry;
    }

    /** Whether keys and queries are Hadamard-rotated. */
    public boolean keysRotated() {
        return rotateKeys;
    }

    /** Whether key channels are smoothed. */
    public boolean keysSmoothed() {
        return smoothKeys;
    }

    @Override
    public int capacity() {
        return maxPositions;
    }

    @Override
    public long bytes() {
        return used;
    }

    @Override
    public boolean shiftsContext() {
        return settings.overflow() == KvOverflow.SHIFT;
    }

    /** The most bytes ever accounted. */
    public long peakBytes() {
        return peak;
    }

    @Override
    public int scratchFloats(int positions) {
        return scratchFloats(positions, 1);
    }

    private RowLayout keyRung(int level) {
        return keyRungs[Math.min(level, keyRungs.length - 1)];
    }

    private RowLayout valueRung(int level) {
        return valueRungs[Math.min(level, valueRungs.length - 1)];
    }

    // ---------------------------------------------------------------- accounting

    private static long aligned(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /** Bytes of one layer's K+V array of a page at {@code level}, header included. */
    private long layerBytes(int level, int capacity) {
        long data = aligned(ARRAY_HEADER + (long) capacity * (keyRung(level).rowBytes + valueRung(level).rowBytes));
        return data;
    }

    /** The page object with its per-layer level and array-reference arrays. */
    private long pageObjectBytes() {
        long refs = aligned(ARRAY_HEADER + 4L * layers);
        return OBJECT_HEADER + PAGE_FIELDS + aligned(ARRAY_HEADER + layers) + refs + (smoothKeys ? refs : 0);
    }

    /**
     * Bytes the cache holds whatever its pages: the smoothing calibration (running maxima and the
     * exponents shared by every page begun after it) and the all-zero exponents of earlier pages.
     */
    private long fixedBytes() {
        return smoothKeys ? aligned(ARRAY_HEADER + kvDim) + KeyCalibration.fixedBytes(layers, kvDim, PagedKvCache::aligned, ARRAY_HEADER) : 0;
    }

    /**
     * Bytes of the calibration's per-position rows. Under a cap they are held only while the
     * window fills (its first {@value #SMOOTHING_CALIBRATION} positions after the sinks), then
     * released; without one they stay, so a prompt cache can replay any prefix of the window.
     */
    private long calibrationRowBytes() {
        return smoothKeys ? KeyCalibration.rowBytes(layers, kvDim, PagedKvCache::aligned, ARRAY_HEADER) : 0;
    }

    /** Drops the calibration rows under a cap once every layer is calibrated. */
    private void releaseCalibrationRows() {
        if (settings.capped() && calibration.replayable() && calibration.allDone()) {
            calibration.release();
            used -= calibrationRowBytes();
        }
    }

    private long pageBytes(KvPage p) {
        long sum = pageObjectBytes();
        for (int l = 0; l < layers; l++) {
            sum += layerBytes(p.level[l], p.capacity);
        }
        return sum;
    }

    private void charge(long bytes) {
        used += bytes;
        peak = Math.max(peak, used);
        if (used > cap) {
            throw new IllegalStateException("KV accounting exceeded the cap: " + used + " > " + cap);
        }
    }

    /** Capacity of a page starting at {@code start}: the sinks get a page of their own. */
    private int pageCapacity(int start) {
        return start < settings.sinks() ? settings.sinks() - start : PAGE_POSITIONS;
    }

    /** Bytes new pages would take to hold {@code n} more positions. */
    private long bytesToAppend(int n) {
        KvPage tail = pageCount > 0 ? pages[pageCount - 1] : null;
        int free = tail != null && tail.end() == end ? tail.capacity - tail.count : 0;
        long bytes = 0;
        for (int pos = end + Math.min(free, n); pos < end + n; ) {
            int c = pageCapacity(pos);
            bytes += pageObjectBytes() + layers * layerBytes(0, c);
            pos += c;
        }
        return bytes;
    }

    /**
     * The fewest bytes {@code positions} positions can take: sinks and recent window at the
     * configured types, everything else at the lowest rung, plus the requantization headroom.
     * Long.MAX_VALUE-free: this is what the cap must allow for a prompt to fit with overflow=error.
     */
    public long minimumBytes(int positions) {
        long bytes = slack + fixedBytes() + pageBytesAtLeast(positions);
        long rows = calibrationRowBytes();
        if (rows > 0) {
            // the calibration rows are held while the window fills (under a cap, released after it)
            int window = Math.min(positions, settings.sinks() + SMOOTHING_CALIBRATION);
            long whileFilling = slack + fixedBytes() + rows + pageBytesAtLeast(window);
            bytes = settings.capped() ? Math.max(bytes, whileFilling) : bytes + rows;
        }
        return bytes;
    }

    private long pageBytesAtLeast(int positions) {
        long bytes = 0;
        int lowest = levels - 1;
        for (int start = 0; start < positions; ) {
            int c = pageCapacity(start);
            boolean kept = start < settings.sinks() || start + c > positions - settings.keepRecent();
            bytes += pageObjectBytes() + layers * layerBytes(kept ? 0 : lowest, c);
            start += c;
        }
        return bytes;
    }

    // ---------------------------------------------------------------- reserve / store

    @Override
    public int reserve(int position, int n) {
        if (n <= 0) {
            return 0;
        }
        if (position == reservedFrom && position + n <= end) {
            return 0; // already reserved by the caller's own reserve (Session, then forward)
        }
        if (position < end) {
            truncate(position);
        } else if (position > end) {
            throw new IllegalStateException("position " + position + " skips past the cache's next position " + end);
        }
        int shifted = 0;
        while (end + n > maxPositions) {
            if (settings.overflow() != KvOverflow.SHIFT) {
                throw new IllegalArgumentException("positions up to " + (end + n) + " exceed the context of " + maxPositions);
            }
            shifted += shiftOrFail(n);
        }
        long need = bytesToAppend(n);
        while (used + need + slack > cap) {
            if (!demoteOne(n)) {
                switch (settings.overflow()) {
                    case ERROR -> throw capacityError(n);
                    case EVICT -> {
                        if (!evictOne(n)) {
                            throw capacityError(n);
                        }
                    }
                    case SHIFT -> shifted += shiftOrFail(n);
                }
            }
            need = bytesToAppend(n);
        }
        append(n);
        reservedFrom = end - n;
        return shifted;
    }

    private KvCapacityException capacityError(int n) {
        long needed = minimumBytes(end + n);
        String lowest = keyRung(levels - 1).codec.name() + (keyRung(levels - 1).codec == valueRung(levels - 1).codec
                ? "" : "/" + valueRung(levels - 1).codec.name());
        return new KvCapacityException(String.format(
                "KV cache cap of %s (%d bytes) cannot hold %d positions: they need %d bytes even with everything outside "
                        + "the %d sinks and the %d most recent positions at %s (--kv-overflow %s); raise --kv-mem-cap, lower "
                        + "--kv-keep-recent or use --kv-overflow evict|shift",
                KvStats.size(cap), cap, end + n, needed, settings.sinks(), settings.keepRecent(), lowest,
                settings.overflow().label()), needed, cap);
    }

    private void append(int n) {
        int left = n;
        if (pageCount > 0) {
            KvPage tail = pages[pageCount - 1];
            if (tail.end() == end) {
                int take = Math.min(left, tail.capacity - tail.count);
                tail.count += take;
                end += take;
                left -= take;
            }
        }
        while (left > 0) {
            KvPage p = new KvPage(end, pageCapacity(end), end < settings.sinks(), layers);
            charge(pageObjectBytes());
            for (int l = 0; l < layers; l++) {
                charge(layerBytes(0, p.capacity));
                p.data[l] = new byte[p.capacity * (keyRungs[0].rowBytes + valueRungs[0].rowBytes)];
                if (smoothKeys) {
                    p.keyExponents[l] = unitExponents; // until its first key is stored
                }
            }
            int take = Math.min(left, p.capacity);
            p.count = take;
            end += take;
            left -= take;
            addPage(p);
        }
    }

    private void addPage(KvPage p) {
        if (pageCount == pages.length) {
            pages = Arrays.copyOf(pages, pageCount * 2);
        }
        pages[pageCount++] = p;
    }

    private void removePage(int index) {
        used -= pageBytes(pages[index]);
        System.arraycopy(pages, index + 1, pages, index, pageCount - index - 1);
        pages[--pageCount] = null;
    }

    /** Forgets positions {@code >= position} (the sequence was rewound). */
    public void truncate(int position) {
        while (pageCount > 0 && pages[pageCount - 1].start >= position) {
            removePage(pageCount - 1);
        }
        if (pageCount > 0) {
            KvPage tail = pages[pageCount - 1];
            tail.count = Math.min(tail.count, Math.max(0, position - tail.start));
        }
        end = Math.min(end, position);
        reservedFrom = -1;
        if (smoothKeys) {
            // the calibration window keeps exactly the positions still held, so what follows calibrates as in a
            // fresh run (unless its rows were released under a cap: then it starts afresh and holds rows again)
            boolean held = calibration.replayable();
            calibration.rewind(end - settings.sinks());
            if (!held && calibration.replayable()) {
                charge(calibrationRowBytes());
            }
        }
    }

    /** Forgets everything. */
    public void clear() {
        truncate(0);
    }

    private KvPage pageOf(int position) {
        for (int i = pageCount - 1; i >= 0; i--) {
            KvPage p = pages[i];
            if (p.start <= position) {
                if (position >= p.end()) {
                    break;
                }
                return p;
            }
        }
        throw new IllegalStateException("position " + position + " was not reserved (call reserve first)");
    }

    @Override
    public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        KvPage p = pageOf(position);
        reservedFrom = -1; // stored: a later reserve of the same range is a rewind, not a repeat
        int slot = position - p.start;
        int level = p.level[layer];
        RowLayout kl = keyRung(level);
        RowLayout vl = valueRung(level);
        float[] keySource = k;
        int keyOffset = kOffset;
        if (smoothKeys) {
            if (slot == 0) {
                p.keyExponents[layer] = calibration.done(layer) ? calibration.exponents(layer) : unitExponents;
            }
            byte[] exponents = p.keyExponents[layer];
            if (position >= settings.sinks() && !calibration.done(layer)) {
                calibration.observe(layer, k, kOffset);
                releaseCalibrationRows();
            }
            for (int c = 0; c < kvDim; c++) {
                rowScratch[c] = k[kOffset + c] * POW2[exponents[c] + 128];
            }
            keySource = rowScratch;
            keyOffset = 0;
        }
        if (rotateKeys) {
            if (keySource != rowScratch) {
                System.arraycopy(k, kOffset, rowScratch, 0, kvDim);
            }
            Hadamard.rotate(rowScratch, 0, kvDim, hadamardBlock);
            keySource = rowScratch;
            keyOffset = 0;
        }
        byte[] data = p.data[layer];
        kl.encode(keySource, keyOffset, data, slot * kl.rowBytes, padScratch);
        vl.encode(v, vOffset, data, p.capacity * kl.rowBytes + slot * vl.rowBytes, padScratch);
    }

    /**
     * Channel smoothing: key channels differ in magnitude by orders (a few outlier channels), and
     * one block scale shared by a loud and a quiet channel leaves the quiet one a handful of
     * levels, worst when a block spans several heads (head_dim 8). Each channel c is therefore
     * stored times 2^e_c, with e_c bringing its largest magnitude over the first
     * {@value #SMOOTHING_CALIBRATION} positions after the sinks to [1, 2), and the query is
     * multiplied by 2^-e_c: q·k is unchanged, exactly, because powers of two scale without
     * rounding. The maximum rather than the mean keeps a quiet channel with rare spikes from being
     * amplified over everyone else's block scale (mean-based scales made stories260K's q8_0 keys
     * worse, 8.1e-3 instead of 2.4e-3). The exponents are fixed once calibrated; pages begun before
     * that keep exponent 0. {@link KeyCalibration} keeps the window per position so a prompt cache
     * can replay any prefix of it. Returns the calibration, null when keys are not smoothed.
     */
    KeyCalibration calibration() {
        return calibration;
    }

    // ---------------------------------------------------------------- the ladder and overflow

    /** First position of the protected recent window once {@code n} more positions are added. */
    private int recentFrom(int n) {
        return end + n - settings.keepRecent();
    }

    /** Outside the sinks and the recent window, and not the page new positions are appended to. */
    private boolean movable(KvPage p, int n) {
        return !p.sink && p.end() <= recentFrom(n) && p != pages[pageCount - 1];
    }

    /** Moves the oldest (page, layer) at the highest rung still present one rung down. */
    private boolean demoteOne(int n) {
        for (int level = 0; level < levels - 1; level++) {
            for (int i = 0; i < pageCount; i++) {
                KvPage p = pages[i];
                if (!movable(p, n)) {
                    continue;
                }
                for (int l = 0; l < layers; l++) {
                    if (p.level[l] == level) {
                        demote(p, l);
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private void demote(KvPage p, int layer) {
        int from = p.level[layer];
        int to = from + 1;
        RowLayout kFrom = keyRung(from);
        RowLayout kTo = keyRung(to);
        RowLayout vFrom = valueRung(from);
        RowLayout vTo = valueRung(to);
        long before = layerBytes(from, p.capacity);
        charge(layerBytes(to, p.capacity)); // the new array exists before the old one is released
        byte[] old = p.data[layer];
        byte[] data = new byte[p.capacity * (kTo.rowBytes + vTo.rowBytes)];
        requantize(old, 0, kFrom, data, 0, kTo, p.count);
        requantize(old, p.capacity * kFrom.rowBytes, vFrom, data, p.capacity * kTo.rowBytes, vTo, p.count);
        p.data[layer] = data;
        p.level[layer] = (byte) to;
        used -= before;
        requantizations++;
        requantizedPositions += p.count;
    }

    private void requantize(byte[] src, int srcOff, RowLayout from, byte[] dst, int dstOff, RowLayout to, int rows) {
        if (from == to) {
            System.arraycopy(src, srcOff, dst, dstOff, rows * from.rowBytes);
            return;
        }
        for (int r = 0; r < rows; r++) {
            from.decode(src, srcOff + r * from.rowBytes, rowScratch, 0);
            to.encode(rowScratch, 0, dst, dstOff + r * to.rowBytes, padScratch);
        }
    }

    /** StreamingLLM eviction of the oldest page between the sinks and the recent window. */
    private boolean evictOne(int n) {
        for (int i = 0; i < pageCount; i++) {
            KvPage p = pages[i];
            if (movable(p, n)) {
                evictions++;
                evictedPositions += p.count;
                removePage(i);
                return true;
            }
        }
        return false;
    }

    private int shiftOrFail(int n) {
        int d = contextShift();
        if (d == 0) {
            throw new KvCapacityException("a context shift cannot make room for " + n + " more positions: only the "
                    + Math.max(settings.keep(), settings.sinks()) + " kept tokens are left", minimumBytes(end + n), cap);
        }
        return d;
    }

    /**
     * llama.cpp's context shift: keep the first max(--keep, sinks) positions, drop half of the rest
     * (rounded up to a page boundary, so pages stay whole), and renumber what follows. Returns the
     * number of positions every later position moved down by.
     */
    private int contextShift() {
        int keep = Math.min(end, Math.max(settings.keep(), settings.sinks()));
        int discardEnd = keep + (end - keep) / 2;
        if (discardEnd == keep) {
            return 0;
        }
        // round the discarded range up to the next page start
        int boundary = end;
        for (int i = 0; i < pageCount; i++) {
            if (pages[i].start >= discardEnd) {
                boundary = pages[i].start;
                break;
            }
        }
        int d = boundary - keep;
        for (int i = pageCount - 1; i >= 0; i--) {
            KvPage p = pages[i];
            if (p.start >= boundary) {
                p.start -= d;
                p.ropeDelta += d;
            } else if (p.start >= keep) {
                removePage(i);
            } else if (p.end() > keep) {
                p.count = keep - p.start; // its unused slots stay allocated until the page goes
            }
        }
        end -= d;
        shifts++;
        discardedPositions += d;
        reservedFrom = -1;
        return d;
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attend(int layer, int kvHead, float[] q, int qOffset, int from, int to, float scale,
                       float[] scratch, float[] out, int outOffset) {
        attendGroup(layer, kvHead, 1, headDim, q, qOffset, from, to, scale, scratch, out, outOffset);
    }

    /** Scratch: the prepared queries, the cos and sin of a RoPE delta, then each query's scores. */
    @Override
    public int scratchFloats(int positions, int group) {
        return group * (headDim + positions) + ropeDim;
    }

    @Override
    public void attendGroup(int layer, int kvHead, int group, int dim, float[] q, int qOffset, int from, int to,
                            float scale, float[] scratch, float[] out, int outOffset) {
        attendQueries(layer, kvHead, group, q, qOffset, from, to, scale, scratch, out, outOffset, null, 0);
    }

    @Override
    public boolean attendsInSegments() {
        return true;
    }

    @Override
    public void attendGroupSegment(int layer, int kvHead, int group, int dim, float[] q, int qOffset, int from, int to,
                                   float scale, float[] scratch, float[] out, int outOffset, float[] stats, int statsOffset) {
        attendQueries(layer, kvHead, group, q, qOffset, from, to, scale, scratch, out, outOffset, stats, statsOffset);
    }

    /** Normalized attention when {@code stats} is null, else a segment's unnormalized sums and its (max, Σ) per query. */
    private void attendQueries(int layer, int kvHead, int group, float[] q, int qOffset, int from, int to, float scale,
                        float[] scratch, float[] out, int outOffset, float[] stats, int statsOffset) {
        final int scores = group * headDim + ropeDim;
        final int stride = to - from; // scores of query j start at scores + j * stride
        int n = 0;
        boolean prepared = false;
        int preparedDelta = 0;
        KvCodec preparedRounding = null;
        byte[] preparedExponents = null;
        for (int i = 0; i < pageCount; i++) {
            KvPage p = pages[i];
            int lo = Math.max(from, p.start);
            int hi = Math.min(to, p.end());
            if (lo >= hi) {
                continue;
            }
            RowLayout kl = keyRung(p.level[layer]);
            KvCodec rounding = kl.codec.roundsQuery() ? kl.codec : null;
            byte[] exponents = p.keyExponents[layer];
            int head = kvHead * headDim;
            if (!prepared || p.ropeDelta != preparedDelta || rounding != preparedRounding
                    || exponents != null && !Arrays.equals(exponents, head, head + headDim, preparedExponents, head, head + headDim)) {
                prepareQueries(q, qOffset, group, kvHead, p, exponents, rounding, scratch);
                prepared = true;
                preparedDelta = p.ropeDelta;
                preparedRounding = rounding;
                preparedExponents = exponents;
            }
            kl.codec.dotRows(scratch, 0, group, headDim, p.data[layer], (lo - p.start) * kl.rowBytes + kl.headOffset(kvHead),
                    kl.rowBytes, hi - lo, kl.headStart(kvHead), headDim, scale, scratch, scores + n, stride);
            n += hi - lo;
        }
        Arrays.fill(out, outOffset, outOffset + group * headDim, 0f);
        if (n == 0) {
            if (stats != null) {
                for (int j = 0; j < group; j++) {
                    stats[statsOffset + 2 * j] = Float.NEGATIVE_INFINITY;
                    stats[statsOffset + 2 * j + 1] = 0f;
                }
            }
            return;
        }
        for (int j = 0; j < group; j++) {
            if (stats == null) {
                FloatMath.softmax(scratch, scores + j * stride, n);
            } else {
                AttentionSegments.exponentiate(scratch, scores + j * stride, n, stats, statsOffset + 2 * j);
            }
        }
        n = 0;
        for (int i = 0; i < pageCount; i++) {
            KvPage p = pages[i];
            int lo = Math.max(from, p.start);
            int hi = Math.min(to, p.end());
            if (lo >= hi) {
                continue;
            }
            RowLayout vl = valueRung(p.level[layer]);
            int valuesAt = p.capacity * keyRung(p.level[layer]).rowBytes;
            vl.codec.axpyRows(scratch, scores + n, group, stride, p.data[layer],
                    valuesAt + (lo - p.start) * vl.rowBytes + vl.headOffset(kvHead), vl.rowBytes, hi - lo,
                    vl.headStart(kvHead), headDim, out, outOffset, headDim);
            n += hi - lo;
        }
    }

    /**
     * scratch[0, group·headDim) = the queries as this page's keys need them: shifted by the page's
     * RoPE delta, divided by its key smoothing scales, Hadamard-rotated, rounded like ggml rounds
     * them for the key type.
     */
    private void prepareQueries(float[] q, int qOffset, int group, int kvHead, KvPage p, byte[] exponents, KvCodec rounding,
                                float[] scratch) {
        int len = group * headDim;
        System.arraycopy(q, qOffset, scratch, 0, len);
        if (p.ropeDelta != 0) {
            int half = ropeDim / 2;
            rope.angles(p.ropeDelta, scratch, len, scratch, len + half);
            rope.rotate(scratch, 0, group, headDim, scratch, len, scratch, len + half);
        }
        if (exponents != null) {
            int head = kvHead * headDim;
            for (int j = 0; j < group; j++) {
                for (int i = 0; i < headDim; i++) {
                    scratch[j * headDim + i] *= POW2[128 - exponents[head + i]];
                }
            }
        }
        if (rotateKeys) {
            Hadamard.rotate(scratch, 0, len, hadamardBlock);
        }
        if (rounding != null) {
            rounding.roundQuery(scratch, 0, len);
        }
    }

    // ---------------------------------------------------------------- stats

    public KvStats stats() {
        List<String> rungNames = new ArrayList<>();
        Map<String, Long> perToken = new LinkedHashMap<>();
        for (int level = 0; level < levels; level++) {
            KvCodec k = keyRung(level).codec;
            KvCodec v = valueRung(level).codec;
            rungNames.add(k == v ? k.name() : "k " + k.name() + " / v " + v.name());
            perToken.putIfAbsent(k.name(), bytesPerToken(keyRung(level)));
            perToken.putIfAbsent(v.name(), bytesPerToken(valueRung(level)));
        }
        int[][] perRung = new int[layers][levels];
        int held = 0;
        for (int i = 0; i < pageCount; i++) {
            KvPage p = pages[i];
            held += p.count;
            for (int l = 0; l < layers; l++) {
                perRung[l][p.level[l]] += p.count;
            }
        }
        return new KvStats(used, settings.capBytes(), peak, held, end, rungNames, perToken, perRung, requantizations,
                requantizedPositions, evictions, evictedPositions, shifts, discardedPositions, rotateKeys, smoothKeys);
    }

    /** Bytes one position takes with K and V of every layer at this layout's type. */
    private long bytesPerToken(RowLayout r) {
        return 2L * layers * r.rowBytes;
    }

    // ---------------------------------------------------------------- prompt cache support

    /** The pages as they are, and whether they hold exactly positions [0, next) as first stored. */
    record Snapshot(KvPage[] pages, int held, int next, boolean shiftedOrEvicted) {
    }

    Snapshot snapshot() {
        boolean pristine = true;
        int expected = 0;
        for (int i = 0; i < pageCount; i++) {
            KvPage p = pages[i];
            pristine &= p.start == expected && p.ropeDelta == 0;
            expected = p.end();
        }
        return new Snapshot(Arrays.copyOf(pages, pageCount), positionsHeld(), end, !pristine);
    }

    /** Key and value codec of every rung in use, top first. */
    KvCodec[][] rungCodecs() {
        KvCodec[][] out = new KvCodec[levels][];
        for (int level = 0; level < levels; level++) {
            out[level] = new KvCodec[] {keyRung(level).codec, valueRung(level).codec};
        }
        return out;
    }

    /** Length of one layer's K+V array of a page at {@code level}. */
    int layerDataBytes(int level, int capacity) {
        return capacity * (keyRung(level).rowBytes + valueRung(level).rowBytes);
    }

    /**
     * Adopts saved pages as positions [0, positions) of this (cleared) cache, as they are. Stops
     * early where the cap would be exceeded, and before a partly used page stored below the top
     * rung (new positions must go in at the configured types). With smoothed keys,
     * {@code calibrationRows[l]} holds {@code calibrationCounts[l]} saved calibration positions of
     * layer l (or, when not {@code replayable}, its exponents), and a page layer whose exponents are {@link KeyCalibration#SAVED} used the calibrated
     * ones; the window is then cut to the positions restored, so what follows calibrates exactly as
     * it would have without the file. Returns the positions restored.
     */
    int restore(KvPage[] saved, int positions, byte[][] calibrationRows, int[] calibrationCounts, boolean replayable) {
        clear();
        if (smoothKeys) {
            // not replayable: saved after its rows were released, calibrationRows holds each layer's exponents
            if (!replayable && positions < settings.sinks() + SMOOTHING_CALIBRATION) {
                return 0; // the window cannot be cut without its rows: nothing to gain from so short a prefix
            }
            for (int l = 0; l < layers; l++) {
                if (replayable) {
                    calibration.load(l, calibrationRows[l], calibrationCounts[l]);
                } else {
                    calibration.loadExponents(l, calibrationRows[l]);
                }
            }
            if (!replayable) {
                used -= calibrationRowBytes();
            }
        }
        for (KvPage p : saved) {
            if (p.start >= positions) {
                break;
            }
            boolean partial = p.end() > positions;
            boolean demoted = false;
            for (byte level : p.level) {
                demoted |= level != 0;
            }
            if (partial && demoted || used + pageBytes(p) + slack > cap) {
                break;
            }
            if (partial) {
                p.count = positions - p.start;
            }
            for (int l = 0; l < layers && smoothKeys; l++) {
                if (p.keyExponents[l] == KeyCalibration.SAVED && calibration.done(l)) {
                    p.keyExponents[l] = calibration.exponents(l);
                } else if (p.keyExponents[l] == null || p.keyExponents[l] == KeyCalibration.SAVED) {
                    p.keyExponents[l] = unitExponents; // the loader checked SAVED only follows a full window
                }
            }
            charge(pageBytes(p));
            addPage(p);
            end = p.end();
        }
        if (smoothKeys) {
            boolean held = calibration.replayable();
            calibration.rewind(end - settings.sinks());
            if (!held && calibration.replayable()) {
                charge(calibrationRowBytes());
            }
            releaseCalibrationRows();
        }
        return end;
    }

    /** Positions held, in order (evicted ones are missing). */
    public int positionsHeld() {
        int held = 0;
        for (int i = 0; i < pageCount; i++) {
            held += pages[i].count;
        }
        return held;
    }

    /** The next position a token gets. */
    public int nextPosition() {
        return end;
    }
}
