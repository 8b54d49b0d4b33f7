package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

/**
 * The tiled prefill product against the per-row loop over the scalar oracle kernel (the interface's
 * default matMul) within rounding, and bit for bit against the sequential FMA chain over the decoded
 * row: every row and token of the requested range (full tiles, edge tokens, partial panels), and
 * nothing outside it, called directly so every batch size reaches the tile; and the product through
 * {@code matMul}, whichever path the format's threshold picks, within rounding. Up to 130 rows and 19
 * tokens cover several panels and tiles at every width.
 */
class TiledMatMulTest {

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q6_K};

    @Property(tries = 120)
    @Tag("vector-kernel")
    void tiledMatchesPerRowOracle(@ForAll @IntRange(min = 0, max = 9) int typeIndex,
                                  @ForAll @IntRange(min = 1, max = 130) int rows,
                                  @ForAll @IntRange(min = 1, max = 5) int blocks,
                                  @ForAll @IntRange(min = 1, max = 19) int n,
                                  @ForAll long seed) {
        GgmlType type = TYPES[typeIndex];
        Random rnd = new Random(seed);
        int blockSize = type.blockSize();
        // per-element types get lengths that leave a tail past the last whole vector
        int cols = blockSize == 1 ? blocks * 37 + rnd.nextInt(16) : blocks * blockSize;
        int rowFrom = rnd.nextInt(rows);
        int rowTo = rowFrom + 1 + rnd.nextInt(rows - rowFrom);
        QuantFormat format = QuantFormats.of(type);
        try (Arena arena = Arena.ofConfined()) {
            long rowBytes = type.bytesFor(cols);
            MemorySegment data = arena.allocate(rowBytes * rows);
            float[] src = new float[cols];
            for (int r = 0; r < rows; r++) {
                double scale = Math.pow(2, rnd.nextInt(20) - 10); // extreme row scales
                for (int i = 0; i < cols; i++) {
                    src[i] = (float) (rnd.nextGaussian() * scale);
                }
                format.quantize(src, 0, cols, data, r * rowBytes);
            }
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            WeightTensor tiled = WeightTensors.wrap(type, data, rows, cols);
            WeightTensor oracle = WeightTensors.wrapScalar(type, data, rows, cols);
            float[] got = new float[n * rows];
            float[] want = new float[n * rows];
            java.util.Arrays.fill(got, Float.NaN);
            java.util.Arrays.fill(want, Float.NaN);
            // the tile itself at every batch size (matMul hands batches below the format's tiledMinBatch to the pair
            // kernels), and the dispatch through matMul, which is either path
            boolean tile = WeightTensors.tiledBatches();
            if (tile) {
                TiledMatMul.matMul(tiled, x, n, got, rowFrom, rowTo);
            } else {
                tiled.matMul(x, n, got, rowFrom, rowTo);
            }
            oracle.matMul(x, n, want, rowFrom, rowTo);
            float[] dispatched = new float[n * rows];
            java.util.Arrays.fill(dispatched, Float.NaN);
            tiled.matMul(x, n, dispatched, rowFrom, rowTo);

            float[] w = new float[cols];
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < rows; r++) {
                    int i = t * rows + r;
                    if (r < rowFrom || r >= rowTo) {
                        assertEquals(Float.NaN, got[i], "row " + r + " outside the range was written");
                        assertEquals(Float.NaN, dispatched[i], "row " + r + " outside the range was written via matMul");
                        continue;
                    }
                    oracle.dequantizeRow(r, w, 0);
                    double magnitude = 0;
                    for (int k = 0; k < cols; k++) {
                        magnitude += Math.abs((double) w[k] * x[t * cols + k]);
                    }
                    double tolerance = (4.0 * cols + 16) * 0x1p-24 * magnitude + 1e-30;
                    assertEquals(want[i], got[i], tolerance, type + " row " + r + " token " + t + " of " + n + ", cols " + cols);
                    assertEquals(want[i], dispatched[i], tolerance, type + " row " + r + " token " + t + " via matMul");
                    // every path of the tile (full tiles, edge tokens, partial panels) is the sequential FMA chain
                    // (the scalar-kernel runs take the per-row kernels)
                    if (tile) {
                        assertEquals(TiledMatMul.sequentialDot(w, 0, x, t * cols, cols), got[i], 0f,
                                type + " row " + r + " token " + t + ": not the sequential FMA chain");
                    }
                }
            }
        }
    }
}
