package llm4j.quant.kv;

/**
 * The scale of a symmetric block type (value = q·d, q in [lo, hi]) chosen for the least squared
 * error rather than by ggml's rule d = max/lo. A KV cache quantizes each row once and reads it at
 * every later step, so a few dozen trial scales per block cost nothing measurable next to the
 * matrix work of the token, and they lower the error the attention sees: ggml's rule spends the
 * full code range on the single largest value, while a slightly larger divisor (clipping that one
 * value a little) or the other sign's side often fits the other 31 better.
 *
 * <p>Each trial divides the block's largest-magnitude value by t (t over [lo - 2, lo] and
 * [hi - 1, hi + 1]), rounds d to fp16 as it is stored, rounds every value to its code, then refits
 * d by least squares for those codes and rounds again; the pair with the smallest error wins. The
 * stored layout is ggml's, so any ggml reader decodes these blocks.
 */
final class ScaleSearch {

    private ScaleSearch() {
    }

    /**
     * Fills {@code codes[0..n)} with q in [lo, hi] and returns d (fp16-representable) for
     * {@code x[off..off+n)}.
     */
    static float search(float[] x, int off, int n, int lo, int hi, int[] codes, int[] scratch) {
        float amax = 0;
        float max = 0;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        if (amax == 0 || !Float.isFinite(amax)) {
            float d = amax == 0 ? 0 : fp16(max / lo);
            fill(x, off, n, d, lo, hi, codes);
            return d;
        }
        float bestD = fp16(max / lo); // ggml's choice, the first candidate
        double bestErr = fill(x, off, n, bestD, lo, hi, codes);
        int steps = 8;
        for (int side = 0; side < 2; side++) {
            float from = side == 0 ? lo - 2f : hi - 1f;
            for (int s = 0; s <= steps; s++) {
                float t = from + 2f * s / steps;
                if (t == 0 || t == lo) {
                    continue;
                }
                float d = fp16(max / t);
                if (d == 0 || !Float.isFinite(d)) {
                    continue;
                }
                double err = fill(x, off, n, d, lo, hi, scratch);
                // least squares for these codes: d = Σ x·q / Σ q²
                double xq = 0;
                double qq = 0;
                for (int i = 0; i < n; i++) {
                    xq += (double) x[off + i] * scratch[i];
                    qq += (double) scratch[i] * scratch[i];
                }
                if (qq > 0) {
                    float refit = fp16((float) (xq / qq));
                    if (refit != 0 && Float.isFinite(refit)) {
                        double refitErr = errorOf(x, off, n, refit, scratch);
                        if (refitErr < err) {
                            err = fill(x, off, n, refit, lo, hi, scratch);
                            d = refit;
                        }
                    }
                }
                if (err < bestErr) {
                    bestErr = err;
                    bestD = d;
                    System.arraycopy(scratch, 0, codes, 0, n);
                }
            }
        }
        return bestD;
    }

    /** Rounds every value to its nearest code for {@code d}; returns the squared error. */
    private static double fill(float[] x, int off, int n, float d, int lo, int hi, int[] codes) {
        float id = d != 0 ? 1f / d : 0f;
        double err = 0;
        for (int i = 0; i < n; i++) {
            int q = Math.round(x[off + i] * id);
            q = Math.max(lo, Math.min(hi, q));
            codes[i] = q;
            double e = x[off + i] - (double) q * d;
            err += e * e;
        }
        return err;
    }

    private static double errorOf(float[] x, int off, int n, float d, int[] codes) {
        double err = 0;
        for (int i = 0; i < n; i++) {
            double e = x[off + i] - (double) codes[i] * d;
            err += e * e;
        }
        return err;
    }

    static float fp16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
