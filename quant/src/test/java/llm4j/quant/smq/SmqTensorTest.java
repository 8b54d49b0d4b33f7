package llm4j.quant.smq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;
import llm4j.quant.WeightTensor;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** SMQ Q8_0/Q4_0 tensors: vector kernels against their scalar twins, decoding by hand, SmallMind's rounding. */
class SmqTensorTest {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random codes and scales for a rows × cols tensor, in slices that start at an odd address. */
    private static WeightTensor[] random(Arena arena, SmqScheme scheme, Random rnd, int rows, int cols, int block) {
        long n = (long) rows * cols;
        MemorySegment codes = arena.allocate(scheme.dataBytes(n) + 1).asSlice(1);
        MemorySegment scales = arena.allocate(scheme.scaleBytes(n, block) + 3).asSlice(3);
        for (long i = 0; i < codes.byteSize(); i++) {
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        }
        for (long b = 0; b < scales.byteSize() / 4; b++) {
            scales.set(LE_FLOAT, 4 * b, (float) (rnd.nextGaussian() * 0.01));
        }
        return new WeightTensor[] {
            SmqTensors.wrap(scheme, codes, scales, rows, cols, block),
            SmqTensors.wrapScalar(scheme, codes, scales, rows, cols, block)};
    }

    @Property(tries = 200)
    void vectorKernelMatchesScalar(@ForAll @IntRange(min = 1, max = 5) int rows,
                                   @ForAll @IntRange(min = 1, max = 300) int cols,
                                   @ForAll @IntRange(min = 1, max = 80) int block,
                                   @ForAll @IntRange(min = 0, max = 9) int xOffset,
                                   @ForAll boolean fourBit,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        SmqScheme scheme = fourBit ? SmqScheme.Q4_0 : SmqScheme.Q8_0;
        try (Arena arena = Arena.ofConfined()) {
            WeightTensor[] t = random(arena, scheme, rnd, rows, cols, block);
            float[] x = new float[xOffset + cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                t[1].dequantizeRow(r, row, 0);
                double exact = 0;
                double magnitude = 0;
                for (int j = 0; j < cols; j++) {
                    exact += (double) row[j] * x[xOffset + j];
                    magnitude += Math.abs((double) row[j] * x[xOffset + j]);
                }
                float vector = t[0].dot(r, x, xOffset);
                float scalar = t[1].dot(r, x, xOffset);
                double bound = magnitude * cols * 0x1p-22 + 1e-30;
                assertTrue(Math.abs(vector - exact) <= bound, "vector " + vector + " vs " + exact);
                assertTrue(Math.abs(scalar - exact) <= bound, "scalar " + scalar + " vs " + exact);
            }
        }
    }

    /** Batched products (TiledMatMul for 4+ tokens) against the scalar tensor's per-row loop. */
    @Property(tries = 80)
    void matMulMatchesScalarLoop(@ForAll @IntRange(min = 1, max = 9) int rows,
                                 @ForAll @IntRange(min = 1, max = 200) int cols,
                                 @ForAll @IntRange(min = 1, max = 80) int block,
                                 @ForAll @IntRange(min = 1, max = 9) int n,
                                 @ForAll boolean fourBit,
                                 @ForAll long seed) {
        Random rnd = new Random(seed);
        SmqScheme scheme = fourBit ? SmqScheme.Q4_0 : SmqScheme.Q8_0;
        try (Arena arena = Arena.ofConfined()) {
            WeightTensor[] t = random(arena, scheme, rnd, rows, cols, block);
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            int from = rnd.nextInt(rows);
            int to = from + 1 + rnd.nextInt(rows - from);
            float[] got = new float[n * rows];
            float[] want = new float[n * rows];
            t[0].matMul(x, n, got, from, to);
            t[1].matMul(x, n, want, from, to);
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                t[1].dequantizeRow(r, row, 0);
                for (int k = 0; k < n; k++) {
                    double magnitude = 0;
                    for (int j = 0; j < cols; j++) {
                        magnitude += Math.abs((double) row[j] * x[k * cols + j]);
                    }
                    double bound = magnitude * cols * 0x1p-22 + 1e-30;
                    assertTrue(Math.abs(got[k * rows + r] - want[k * rows + r]) <= bound,
                            "row " + r + " token " + k + ": " + got[k * rows + r] + " vs " + want[k * rows + r]);
                }
            }
        }
    }

    /** Element i is code(i) · scale[i / B] with codes read straight from the format description. */
    @Property(tries = 100)
    void dequantizeFollowsTheLayout(@ForAll @IntRange(min = 1, max = 4) int rows,
                                    @ForAll @IntRange(min = 1, max = 70) int cols,
                                    @ForAll @IntRange(min = 1, max = 40) int block,
                                    @ForAll boolean fourBit,
                                    @ForAll long seed) {
        SmqScheme scheme = fourBit ? SmqScheme.Q4_0 : SmqScheme.Q8_0;
        try (Arena arena = Arena.ofConfined()) {
            long n = (long) rows * cols;
            MemorySegment codes = arena.allocate(scheme.dataBytes(n));
            MemorySegment scales = arena.allocate(scheme.scaleBytes(n, block));
            Random rnd = new Random(seed);
            int[] expectCodes = new int[(int) n];
            for (int i = 0; i < n; i++) {
                int c = fourBit ? rnd.nextInt(16) - 8 : rnd.nextInt(255) - 127;
                expectCodes[i] = c;
                if (fourBit) {
                    int b = codes.get(ValueLayout.JAVA_BYTE, i / 2) & 0xFF;
                    b |= (c & 0xF) << (4 * (i % 2));
                    codes.set(ValueLayout.JAVA_BYTE, i / 2, (byte) b);
                } else {
                    codes.set(ValueLayout.JAVA_BYTE, i, (byte) c);
                }
            }
            for (long b = 0; b < scales.byteSize() / 4; b++) {
                scales.set(LE_FLOAT, 4 * b, rnd.nextFloat());
            }
            WeightTensor t = SmqTensors.wrap(scheme, codes, scales, rows, cols, block);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                t.dequantizeRow(r, row, 0);
                for (int j = 0; j < cols; j++) {
                    int i = r * cols + j;
                    assertEquals(expectCodes[i] * scales.get(LE_FLOAT, 4L * (i / block)), row[j], "element " + i);
                }
            }
        }
    }

    @Example
    void quantizerRoundsHalfToEvenLikeDotNet() {
        try (Arena arena = Arena.ofConfined()) {
            float[] src = {127f, 2.5f, -2.5f, 0.5f, -0.5f, 3.5f, 1.4999999f, -127f};
            MemorySegment codes = arena.allocate(8);
            MemorySegment scales = arena.allocate(4);
            SmqQuantizer.quantize(SmqScheme.Q8_0, src, 0, 8, 0, 8, codes, scales);
            assertEquals(1f, scales.get(LE_FLOAT, 0));
            byte[] q = codes.toArray(ValueLayout.JAVA_BYTE);
            assertEquals(127, q[0]);
            assertEquals(2, q[1]);
            assertEquals(-2, q[2]);
            assertEquals(0, q[3]);
            assertEquals(0, q[4]);
            assertEquals(4, q[5]);
            assertEquals(1, q[6]);
            assertEquals(-127, q[7]);
        }
    }

    @Example
    void allZeroBlockGetsScaleOne() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(2);
            MemorySegment scales = arena.allocate(8);
            SmqQuantizer.quantize(SmqScheme.Q4_0, new float[] {0, 0, 0, 7}, 0, 4, 0, 3, codes, scales);
            assertEquals(1f, scales.get(LE_FLOAT, 0));
            assertEquals(1f, scales.get(LE_FLOAT, 4));
            assertEquals(0x00, codes.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0x70, codes.get(ValueLayout.JAVA_BYTE, 1) & 0xFF); // element 3 = +7 in the high nibble
        }
    }

    /** Q4_0 codes span -8..7 in the quantizer's clamp too; SmallMind's scale keeps them in -7..7. */
    @Property(tries = 100)
    void quantizedValuesAreWithinHalfAStep(@ForAll @IntRange(min = 1, max = 200) int n,
                                           @ForAll @IntRange(min = 1, max = 64) int block,
                                           @ForAll boolean fourBit,
                                           @ForAll long seed) {
        SmqScheme scheme = fourBit ? SmqScheme.Q4_0 : SmqScheme.Q8_0;
        Random rnd = new Random(seed);
        float[] src = new float[n];
        for (int i = 0; i < n; i++) {
            src[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(scheme.dataBytes(n));
            MemorySegment scales = arena.allocate(scheme.scaleBytes(n, block));
            SmqQuantizer.quantize(scheme, src, 0, n, 0, block, codes, scales);
            float[] back = new float[n];
            SmqTensors.wrap(scheme, codes, scales, 1, n, block).dequantizeRow(0, back, 0);
            for (int i = 0; i < n; i++) {
                float s = scales.get(LE_FLOAT, 4L * (i / block));
                assertTrue(Math.abs(back[i] - src[i]) <= s * 0.5f + Math.ulp(src[i]) * 4, i + ": " + src[i] + " -> " + back[i]);
            }
        }
    }

    /** ggml Q8_0 and Q4_0 blocks repacked into SMQ decode to exactly the values ggml's dequantizer gives. */
    @Property(tries = 60)
    void repackIsLossFree(@ForAll @IntRange(min = 1, max = 4) int rows,
                          @ForAll @IntRange(min = 1, max = 6) int blocksPerRow,
                          @ForAll boolean fourBit,
                          @ForAll long seed) {
        GgmlType type = fourBit ? GgmlType.Q4_0 : GgmlType.Q8_0;
        int cols = blocksPerRow * 32;
        Random rnd = new Random(seed);
        float[] src = new float[rows * cols];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ggml = arena.allocate(type.bytesFor(src.length));
            QuantFormats.of(type).quantize(src, 0, src.length, ggml, 0);
            float[] expected = new float[src.length];
            QuantFormats.of(type).dequantize(ggml, 0, expected, 0, src.length);
            SmqScheme scheme = SmqRepack.lossFreeScheme(type);
            MemorySegment codes = arena.allocate(scheme.dataBytes(src.length));
            MemorySegment scales = arena.allocate(scheme.scaleBytes(src.length, SmqRepack.BLOCK));
            SmqRepack.repack(type, ggml, src.length, codes, scales);
            WeightTensor t = SmqTensors.wrap(scheme, codes, scales, rows, cols, SmqRepack.BLOCK);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                t.dequantizeRow(r, row, 0);
                for (int j = 0; j < cols; j++) {
                    assertEquals(Float.floatToIntBits(expected[r * cols + j]), Float.floatToIntBits(row[j]), "element " + (r * cols + j));
                }
            }
        }
    }

    @Example
    void reservedSchemesAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SmqTensors.wrap(SmqScheme.Q4_K, arena.allocate(16), arena.allocate(0), 1, 16, 16));
            assertTrue(e.getMessage().contains("Q4_K"), e.getMessage());
        }
    }
}
