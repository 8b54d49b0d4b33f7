package llm4j.model;

/**
 * Rotary position embeddings for one model: the per-pair inverse frequencies (with llama3 frequency
 * factors or linear scaling folded in) and the rotation of a head vector at a position.
 */
public final class Rope {

    private final RopeStyle style;
    private final int rotDim;
    private final float thetaScale;
    private final float positionScale;
    private final float[] freqFactors;

    /**
     * @param freqFactors per-pair divisors of the angle (llama3's {@code rope_freqs} tensor), or null
     * @param positionScale positions are multiplied by this (linear rope scaling: 1/factor)
     */
    public Rope(RopeStyle style, int rotDim, float base, float[] freqFactors, float positionScale) {
        this.style = style;
        this.rotDim = rotDim;
        this.thetaScale = (float) Math.pow(base, -2.0 / rotDim);
        this.positionScale = positionScale;
        this.freqFactors = freqFactors;
    }

    public int rotDim() {
        return rotDim;
    }

    /** Fills {@code cos}/{@code sin} at {@code [off, off + rotDim/2)} for {@code position}. */
    public void angles(int position, float[] cos, float[] sin, int off) {
        angles(position, cos, off, sin, off);
    }

    /** As {@link #angles(int, float[], float[], int)} with separate offsets, so both can share one scratch array. */
    public void angles(int position, float[] cos, int cosOff, float[] sin, int sinOff) {
        // ggml walks theta_i = p * scale^i as a running float product; doing the same keeps the
        // angles bit-identical instead of a few ulps off at large positions
        float theta = position * positionScale;
        for (int i = 0; i < rotDim / 2; i++) {
            float angle = freqFactors == null ? theta : theta / freqFactors[i];
            cos[cosOff + i] = (float) Math.cos(angle);
            sin[sinOff + i] = (float) Math.sin(angle);
            theta *= thetaScale;
        }
    }

    /** Rotates {@code heads} consecutive head vectors of {@code headDim} starting at {@code off}. */
    public void rotate(float[] x, int off, int heads, int headDim, float[] cos, float[] sin, int angleOff) {
        rotate(x, off, heads, headDim, cos, angleOff, sin, angleOff);
    }

    /** As {@link #rotate(float[], int, int, int, float[], float[], int)} with separate cos and sin offsets. */
    public void rotate(float[] x, int off, int heads, int headDim, float[] cos, int cosOff, float[] sin, int sinOff) {
        int half = rotDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = style == RopeStyle.ADJACENT ? base + 2 * i : base + i;
                int b = style == RopeStyle.ADJACENT ? a + 1 : a + half;
                float c = cos[cosOff + i];
                float s = sin[sinOff + i];
                float x0 = x[a];
                float x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }
}
