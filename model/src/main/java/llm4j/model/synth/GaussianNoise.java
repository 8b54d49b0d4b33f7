package llm4j.model.synth;

/**
 * Normally distributed floats from a seed, defined entirely here so the same seed gives the same
 * weights on every JVM and machine: SplitMix64 bits and Marsaglia and Tsang's ziggurat with 128
 * layers, in Doornik's form (the layer index and the magnitude come from disjoint bits). About 99%
 * of draws cost one random long, a compare and a multiply; the rest use {@link StrictMath}, whose
 * results are the same everywhere (unlike {@link Math#log}, which may differ by an ulp per platform).
 * The polar method this replaced spent ~35 ns per sample in StrictMath.log, the ziggurat ~3 ns.
 */
final class GaussianNoise {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private static final int LAYERS = 128;
    /** Start of the tail and area of each layer, for 128 layers (Marsaglia and Tsang 2000). */
    private static final double TAIL = 3.442619855899;
    private static final double AREA = 9.91256303526217e-3;
    /** X[i]: right edge of layer i (X[0] is the base layer's virtual width AREA / f(TAIL)), X[LAYERS] = 0. */
    private static final double[] X = new double[LAYERS + 1];
    /** RATIO[i] = X[i+1] / X[i]: inside it a point of layer i lies under the curve for sure. */
    private static final double[] RATIO = new double[LAYERS];

    static {
        double f = StrictMath.exp(-0.5 * TAIL * TAIL);
        X[0] = AREA / f;
        X[1] = TAIL;
        for (int i = 2; i < LAYERS; i++) {
            X[i] = StrictMath.sqrt(-2 * StrictMath.log(AREA / X[i - 1] + f));
            f = StrictMath.exp(-0.5 * X[i] * X[i]);
        }
        X[LAYERS] = 0;
        for (int i = 0; i < LAYERS; i++) {
            RATIO[i] = X[i + 1] / X[i];
        }
    }

    private long state;

    GaussianNoise(long seed) {
        this.state = seed;
    }

    /** A seed for stream {@code index} of {@code seed}: distinct, well-mixed inputs for independent streams. */
    static long derive(long seed, long index) {
        return mix(seed + GOLDEN * (index + 1));
    }

    /** SplitMix64's output function. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in (0, 1]: never 0, so its logarithm is finite. */
    private double nextPositive() {
        return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
    }

    double nextGaussian() {
        while (true) {
            long bits = nextLong();
            int layer = (int) (bits & (LAYERS - 1));
            double u = (bits >> 11) * 0x1.0p-52;  // bits 11..63, signed: uniform in [-1, 1)
            if (Math.abs(u) < RATIO[layer]) {
                return u * X[layer];
            }
            if (layer == 0) {
                return tail(u < 0);
            }
            // the sliver of layer i outside layer i+1: accept under the curve
            double x = u * X[layer];
            double fOuter = StrictMath.exp(-0.5 * (X[layer] * X[layer] - x * x));
            double fInner = StrictMath.exp(-0.5 * (X[layer + 1] * X[layer + 1] - x * x));
            if (fInner + nextPositive() * (fOuter - fInner) < 1.0) {
                return x;
            }
        }
    }

    /** Marsaglia's exact sampler for |x| > TAIL. */
    private double tail(boolean negative) {
        double x;
        double y;
        do {
            x = StrictMath.log(nextPositive()) / TAIL;
            y = StrictMath.log(nextPositive());
        } while (-2 * y < x * x);
        return negative ? x - TAIL : TAIL - x;
    }

    /** Fills {@code dst[off .. off+n)} with N(0, std²) samples. */
    void fill(float[] dst, int off, int n, float std) {
        for (int i = 0; i < n; i++) {
            dst[off + i] = (float) (nextGaussian() * std);
        }
    }
}
