package llm4j.quant.format;

import static llm4j.quant.format.KQuants.clamp;
import static llm4j.quant.format.KQuants.half;
import static llm4j.quant.format.KQuants.minK4;
import static llm4j.quant.format.KQuants.nearestInt;
import static llm4j.quant.format.KQuants.putHalf;
import static llm4j.quant.format.KQuants.scaleK4;

import java.lang.foreign.MemorySegment;

/**
 * The part of ggml's quantize_row_q4_K_ref / q5_K_ref the two formats share: they lay out d, dmin
 * and the 12 scale bytes identically and differ only in level width and search parameters.
 */
final class ScaleMinQuantizer {

    static final int D = 0;
    static final int DMIN = 2;
    static final int SCALES = 4;

    private ScaleMinQuantizer() {
    }

    /**
     * Encodes 256 values at {@code x[off]}: writes d, dmin and packed scales to the block at
     * {@code blk} and the chosen levels (0..nmax) to {@code levels}, for the caller to pack.
     */
    static void encode(float[] x, int off, int nmax, float rmin, float rdelta, int nstep, int[] levels,
                       MemorySegment dst, long blk) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float[] weights = new float[32];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int sub = off + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[sub + l] * x[sub + l];
            }
            // weight each value by the sub-block's RMS plus its own magnitude, as ggml does
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[sub + l]);
            }
            scales[j] = KQuantSearch.asymmetricSearch(32, nmax, x, sub, weights, levels, 32 * j, mins, j,
                    rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            // ggml stores the rounded value in a uint8_t before capping it at 63
            ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
        }
        KQuants.packScalesK4(ls, lm, dst, blk + SCALES);
        putHalf(dst, blk + D, maxScale / 63f);
        putHalf(dst, blk + DMIN, maxMin / 63f);

        // re-pick every level against the scales as stored (fp16 d, 6-bit factors)
        float dAll = half(dst, blk + D);
        float mAll = half(dst, blk + DMIN);
        for (int j = 0; j < 8; j++) {
            float d = dAll * scaleK4(dst, blk + SCALES, j);
            if (d == 0) {
                continue;
            }
            float dm = mAll * minK4(dst, blk + SCALES, j);
            for (int i = 0; i < 32; i++) {
                levels[32 * j + i] = clamp(nearestInt((x[off + 32 * j + i] + dm) / d), 0, nmax);
            }
        }
    }
}
