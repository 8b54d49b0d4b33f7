package llm4j.quant.format;

import static llm4j.quant.format.KQuants.clamp;
import static llm4j.quant.format.KQuants.nearestInt;

/**
 * The scale searches of ggml's reference K-quantizers (make_qx_quants, make_q3_quants,
 * make_qkx2_quants). Every float expression keeps ggml's operand order and rounding, because the
 * searches compare near-equal errors and a different rounding would flip their choices.
 */
final class KQuantSearch {

    /** ggml's GROUP_MAX_EPS: groups whose largest magnitude is below it quantize to zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantSearch() {
    }

    /** The value of largest magnitude (the first one on ties), sign kept. */
    private static float signedMax(float[] x, int off, int n) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[off + i]);
            if (ax > amax) {
                amax = ax;
                max = x[off + i];
            }
        }
        return amax < GROUP_MAX_EPS ? 0f : max;
    }

    /**
     * Symmetric levels {@code L in [0, 2·nmax)} (stored with +nmax bias) for {@code n} values, weighting
     * each value's error by x²; tries 19 scales around nmax/max and keeps the one with the best
     * weighted least-squares fit. Returns the scale. (make_qx_quants with rmse_type 1, no weights.)
     */
    static float symmetricSearch(int n, int nmax, float[] x, int off, int[] levels, int lOff) {
        float max = signedMax(x, off, n);
        if (max == 0) {
            java.util.Arrays.fill(levels, lOff, lOff + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[off + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            levels[lOff + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[off + i];
                int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    levels[lOff + i] = nmax + clamp(nearestInt(iscale * x[off + i]), -nmax, nmax - 1);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Symmetric levels for Q3_K (make_q3_quants with do_rmse): start from nmax/max, then up to 5
     * sweeps that move single values to the level that improves the x²-weighted fit. Levels are
     * stored with +nmax bias; returns the scale.
     */
    static float q3Search(int n, int nmax, float[] x, int off, int[] levels, int lOff) {
        float max = signedMax(x, off, n);
        if (max == 0) {
            java.util.Arrays.fill(levels, lOff, lOff + n, 0);
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[off + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            levels[lOff + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int sweep = 0; sweep < 5; sweep++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[off + i];
                float w = xi * xi;
                int li = levels[lOff + i];
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = clamp(nearestInt(xi * sl2 / slx), -nmax, nmax - 1);
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            levels[lOff + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lOff + i] += nmax;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * Asymmetric levels {@code 0..nmax} with x ≈ scale·L − min (make_qkx2_quants): starts from the
     * [min, max] range, then tries {@code nstep + 1} scales (nmax + rmin + rdelta·is)/(max − min),
     * solving the weighted least-squares scale and offset for each and keeping the lowest weighted
     * error (absolute when {@code useMad}, squared otherwise). Returns the scale; the (non-negative)
     * min goes to {@code mins[minIndex]}.
     */
    static float asymmetricSearch(int n, int nmax, float[] x, int off, float[] weights, int[] levels, int lOff,
                                  float[] mins, int minIndex, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[off];
        float max = x[off];
        float sumW = weights[0];
        float sumX = sumW * x[off];
        for (int i = 1; i < n; i++) {
            float xi = x[off + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            java.util.Arrays.fill(levels, lOff, lOff + n, 0);
            mins[minIndex] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[off + i] - min)), 0, nmax);
            levels[lOff + i] = l;
            float diff = scale * l + min - x[off + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            mins[minIndex] = -min;
            return scale;
        }
        int[] trial = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[off + i] - min)), 0, nmax);
                trial[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[off + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[off + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError) {
                    System.arraycopy(trial, 0, levels, lOff, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[minIndex] = -min;
        return scale;
    }
}
