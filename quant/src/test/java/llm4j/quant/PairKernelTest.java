package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * Every format's two-row kernel against its one-row kernel, bit for bit: matVec pairs rows from the start of
 * whatever range it is given, so a row's value must not depend on which row it was paired with, nor on how
 * the rows were split between threads. The property runs mostly interpreted; the example keeps calling
 * until C2 has compiled both kernels (about 10^4 calls) and compares every result.
 */
class PairKernelTest {

    private static final List<GgmlType> PAIRED = Arrays.stream(GgmlType.values())
            .filter(QuantFormats::has)
            .filter(t -> QuantFormats.of(t).vectorPairKernel() != null)
            .toList();

    /** The paired types, and those whose kernels read arranged activations (PackedTensor arranges x per token). */
    private static final List<GgmlType> CHECKED = Arrays.stream(GgmlType.values())
            .filter(QuantFormats::has)
            .filter(t -> PAIRED.contains(t) || QuantFormats.of(t).vectorLayout() != null)
            .toList();

    @Example
    void theCommonWeightTypesHavePairKernels() {
        assertTrue(PAIRED.containsAll(List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_1,
                GgmlType.F16)), "paired: " + PAIRED);
    }

    /**
     * One token through matVec, or a batch too short to tile (a 2-3 token prompt) through matMul, which takes it
     * token by token through the pair kernels: every row of the range is the one-row kernel's, nothing outside it.
     * Types whose kernels read arranged activations (Q4_K) are included: the rows of every token must not depend
     * on where the token sat in the batch.
     */
    @Property(tries = 200)
    @Tag("vector-kernel")
    void productRowsAreTheOneRowKernelsBitForBit(@ForAll @IntRange(min = 0, max = 99) int typePick,
                                                 @ForAll @IntRange(min = 1, max = 11) int rows,
                                                 @ForAll @IntRange(min = 1, max = 20) int blocks,
                                                 @ForAll @IntRange(min = 1, max = 3) int tokens,
                                                 @ForAll long seed) {
        GgmlType type = CHECKED.get(typePick % CHECKED.size());
        Random rnd = new Random(seed);
        int cols = blocks * type.blockSize();
        try (Arena arena = Arena.ofConfined()) {
            WeightTensor w = WeightTensors.wrap(type, randomRows(type, rows, cols, rnd, arena), rows, cols);
            float[] x = gaussian(rnd, tokens * cols);
            int from = rnd.nextInt(rows);
            int to = from + 1 + rnd.nextInt(rows - from);
            float[] out = new float[tokens * rows];
            Arrays.fill(out, Float.NaN);
            if (tokens == 1) {
                w.matVec(x, out, from, to);
            } else {
                w.matMul(x, tokens, out, from, to);
            }
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    float want = r >= from && r < to ? w.dot(r, x, t * cols) : Float.NaN;
                    float got = out[t * rows + r];
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got),
                            type + " token " + t + " row " + r + " of [" + from + ", " + to + "): " + want + " vs " + got);
                }
            }
        }
    }

    @Example
    @Tag("vector-kernel")
    void compiledPairKernelsMatchTheCompiledRowKernel() {
        Random rnd = new Random(7);
        for (GgmlType type : PAIRED) {
            int rows = 6;
            int cols = 18 * Math.max(32, type.blockSize());
            QuantFormat format = QuantFormats.of(type);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = randomRows(type, rows, cols, rnd, arena);
                // both kernels read the same floats: arranged ones (Q4_0) need not come from a real x to be compared
                float[] x = gaussian(rnd, format.vectorLayout() != null ? format.vectorLayout().length(cols) : cols);
                long rowBytes = type.bytesFor(cols);
                float[] pair = new float[2];
                for (int call = 0; call < 20_000; call++) {
                    int[] r = {rnd.nextInt(rows), rnd.nextInt(rows)};
                    int n = (1 + rnd.nextInt(cols / type.blockSize())) * type.blockSize();
                    format.vectorPairKernel().dot2(data, r[0] * rowBytes, r[1] * rowBytes, x, n, pair, 0, 1);
                    for (int i = 0; i < 2; i++) {
                        float one = format.vectorKernel().dot(data, r[i] * rowBytes, x, 0, n);
                        if (Float.floatToIntBits(one) != Float.floatToIntBits(pair[i])) {
                            assertEquals(one, pair[i], 0f, type + " call " + call + " row " + r[i] + " n=" + n);
                        }
                    }
                }
            }
        }
    }

    private static MemorySegment randomRows(GgmlType type, int rows, int cols, Random rnd, Arena arena) {
        QuantFormat format = QuantFormats.of(type);
        long rowBytes = type.bytesFor(cols);
        MemorySegment data = arena.allocate(rowBytes * rows);
        for (int r = 0; r < rows; r++) {
            float[] src = gaussian(rnd, cols);
            float scale = (float) Math.pow(2, rnd.nextInt(12) - 6);
            for (int i = 0; i < cols; i++) {
                src[i] *= scale;
            }
            format.quantize(src, 0, cols, data, r * rowBytes);
        }
        return data;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
