package llm4j.model.kv;

import java.util.Arrays;
import java.util.function.LongUnaryOperator;

/**
 * The key-smoothing calibration of one cache (see {@link PagedKvCache}'s channel smoothing): per
 * layer, each key channel's largest magnitude over the first {@link #POSITIONS} positions after
 * the sinks, kept as one byte per (position, channel) so that any prefix of the calibration
 * window can be replayed exactly. That is what lets a prompt cache restore a prefix shorter than
 * the window and still continue as a run that never saved anything would: the exponents of the
 * positions that follow depend on the prefix alone.
 *
 * <p>Only the binary exponent of the maximum matters ({@code e_c = -getExponent(max|k_c|)},
 * clamped to [-100, 100]), and the exponent of a maximum is the maximum of the exponents, so a
 * byte per value is exact. Codes: {@link #ZERO} for 0 (no information), {@link #NON_FINITE} for
 * NaN or infinity (the channel then gets exponent 0), otherwise the exponent clamped to
 * [-101, 101], which the final clamp cannot tell from the true one. Both special codes sort where
 * a running maximum needs them.
 */
final class KeyCalibration {

    /**
     * Positions after the sinks whose keys calibrate the smoothing scales; pages begun earlier keep
     * unit scales. On stories260K (q8_0 keys, c=256) 16 positions gave a mean KLD of 2.4e-3, 32 gave
     * 1.5e-3, 64 gave 0.86e-3 and 128 gave 0.96e-3 (fewer positions of a 256-chunk are smoothed).
     */
    static final int POSITIONS = 64;
    static final byte ZERO = Byte.MIN_VALUE;
    static final byte NON_FINITE = Byte.MAX_VALUE;
    /** A loaded page's marker for "smoothed with the calibrated exponents" until the cache adopts it. */
    static final byte[] SAVED = new byte[0];
    private static final int LIMIT = 100;

    private final int layers;
    private final int kvDim;
    /** Per layer, {@code count} rows of {@code kvDim} codes; null once {@link #release released}. */
    private final byte[][] rows;
    private final int[] counts;
    /** Per layer the running maximum code of each channel. */
    private final byte[][] max;
    /** Per layer the exponents once the window is full, else null. Pages share these arrays. */
    private final byte[][] exponents;

    KeyCalibration(int layers, int kvDim) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.rows = new byte[layers][];
        this.counts = new int[layers];
        this.max = new byte[layers][kvDim];
        this.exponents = new byte[layers][];
        for (int l = 0; l < layers; l++) {
            reset(l);
        }
    }

    /** Bytes always held: the running maxima and one exponent array per layer. */
    static long fixedBytes(int layers, int kvDim, LongUnaryOperator aligned, int arrayHeader) {
        return 2L * layers * aligned.applyAsLong(arrayHeader + kvDim);
    }

    /** Bytes of the per-position rows while they are held (until {@link #release}). */
    static long rowBytes(int layers, int kvDim, LongUnaryOperator aligned, int arrayHeader) {
        return layers * aligned.applyAsLong(arrayHeader + (long) POSITIONS * kvDim);
    }

    static byte code(float v) {
        float a = Math.abs(v);
        if (!Float.isFinite(a)) {
            return NON_FINITE;
        }
        if (a == 0f) {
            return ZERO;
        }
        return (byte) Math.max(-LIMIT - 1, Math.min(LIMIT + 1, Math.getExponent(a)));
    }

    /** The smoothing exponent of a channel whose maximum code is {@code code}. */
    static byte exponent(byte code) {
        if (code == ZERO || code == NON_FINITE) {
            return 0;
        }
        return (byte) Math.max(-LIMIT, Math.min(LIMIT, -code));
    }

    /** The exponents for layer {@code l}, or null while its window is not full. */
    byte[] exponents(int layer) {
        return exponents[layer];
    }

    boolean done(int layer) {
        return exponents[layer] != null;
    }

    /** Whether every layer's window is full. */
    boolean allDone() {
        for (int l = 0; l < layers; l++) {
            if (!done(l)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the per-position rows are still held, so any prefix of the window can be replayed. */
    boolean replayable() {
        return rows[0] != null;
    }

    /**
     * Drops the per-position rows once every window is full, so a cache under a tight cap does not
     * pay for them for the rest of its life. A later rewind into the window, or a prompt cache saved
     * afterwards and restored to a prefix shorter than the window, can then no longer replay it.
     */
    void release() {
        if (allDone()) {
            Arrays.fill(rows, null);
        }
    }

    /** Takes the next calibration position's key row (the caller stops once {@link #done}). */
    void observe(int layer, float[] k, int offset) {
        int n = counts[layer];
        byte[] r = rows[layer];
        byte[] m = max[layer];
        for (int c = 0; c < kvDim; c++) {
            byte code = code(k[offset + c]);
            r[n * kvDim + c] = code;
            if (code > m[c]) {
                m[c] = code;
            }
        }
        counts[layer] = n + 1;
        if (n + 1 == POSITIONS) {
            finish(layer);
        }
    }

    /**
     * Keeps the first {@code keep} calibration positions of every layer and forgets the rest (the
     * sequence was rewound, or a prompt cache restores a prefix). A full window keeps its exponent
     * arrays, so pages that share them stay valid. Returns false when released rows were needed:
     * the window then starts afresh with the next position.
     */
    boolean rewind(int keep) {
        boolean exact = true;
        for (int l = 0; l < layers; l++) {
            int n = Math.min(counts[l], Math.max(0, keep));
            if (n == counts[l]) {
                continue;
            }
            if (rows[l] == null) {
                reset(l);
                exact = false;
            } else {
                recompute(l, n);
            }
        }
        return exact;
    }

    int count(int layer) {
        return counts[layer];
    }

    /** The codes of layer {@code l}'s first {@link #count} positions (a view: do not modify), or null once released. */
    byte[] rows(int layer) {
        return rows[layer];
    }

    /** Replaces layer {@code l}'s window with {@code n} saved rows; the exponents follow from them. */
    void load(int layer, byte[] codes, int n) {
        if (n < 0 || n > POSITIONS || codes.length < n * kvDim) {
            throw new IllegalArgumentException("calibration rows: " + n);
        }
        if (rows[layer] == null) {
            rows[layer] = new byte[POSITIONS * kvDim];
        }
        System.arraycopy(codes, 0, rows[layer], 0, n * kvDim);
        recompute(layer, n);
    }

    /** Replaces layer {@code l}'s window with a full one saved without its rows. */
    void loadExponents(int layer, byte[] e) {
        if (e.length != kvDim) {
            throw new IllegalArgumentException("calibration exponents: " + e.length);
        }
        rows[layer] = null;
        counts[layer] = POSITIONS;
        exponents[layer] = e.clone();
    }

    private void reset(int layer) {
        rows[layer] = new byte[POSITIONS * kvDim];
        recompute(layer, 0);
    }

    private void recompute(int layer, int n) {
        counts[layer] = n;
        byte[] m = max[layer];
        Arrays.fill(m, ZERO);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < kvDim; c++) {
                m[c] = (byte) Math.max(m[c], rows[layer][i * kvDim + c]);
            }
        }
        exponents[layer] = null;
        if (n == POSITIONS) {
            finish(layer);
        }
    }

    private void finish(int layer) {
        byte[] e = new byte[kvDim];
        for (int c = 0; c < kvDim; c++) {
            e[c] = exponent(max[layer][c]);
        }
        exponents[layer] = e;
    }
}
