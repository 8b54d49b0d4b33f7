package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import llm4j.quant.QuantFormat;
import net.jqwik.api.Example;

/** Q5_1 has no ggml-made file in shared/, so these properties and examples are all its coverage. */
class Q5_1FormatTest extends LegacyFormatContract {

    private static final int BLOCK = 24;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    QuantFormat format() {
        return Q5_1Format.INSTANCE;
    }

    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        BlockTesting.fillBlocks(rnd, seg, offset, n, BLOCK, 0, 2);
    }

    @Override
    double magnitude(MemorySegment seg, long offset, float[] w, float[] x, int xOffset) {
        return BlockTesting.offsetMagnitude(seg, offset, BLOCK, w, x, xOffset);
    }

    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            long block = (long) (i / 32) * BLOCK;
            double d = Math.abs(BlockTesting.half(seg, block));
            double m = Math.abs(BlockTesting.half(seg, block + 2));
            double bound = d * (0.5 + 31 * 0x1p-11) + m * 0x1p-10 + 32 * 0x1p-25 + 4 * Math.ulp(src[i]);
            assertTrue(Math.abs(src[i] - back[i]) <= bound, "element " + i + ": " + src[i] + " -> " + back[i] + ", d=" + d);
        }
    }

    /** Values 0..31 shifted by -5.5 (d = 1, m = -5.5): every code once, in two orders. */
    @Example
    void everyCodeRoundTripsExactly() {
        float[] ladder = new float[32];
        float[] shuffled = new float[32];
        for (int j = 0; j < 32; j++) {
            ladder[j] = j - 5.5f;
            shuffled[j] = (j * 13 + 5) % 32 - 5.5f;
        }
        assertArrayEquals(ladder, roundTrip(ladder));
        assertArrayEquals(shuffled, roundTrip(shuffled));
    }

    @Example
    void codesAndFifthBitsLandWhereTheLayoutSays() {
        float[] ladder = new float[32];
        for (int j = 0; j < 32; j++) {
            ladder[j] = j;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(ladder, 0, 32, seg, 0);
            assertEquals(1f, BlockTesting.half(seg, 0));
            assertEquals(0f, BlockTesting.half(seg, 2));
            assertEquals(0xFFFF0000, seg.get(LE_INT, 4), "codes 16..31 have the fifth bit");
            for (int j = 0; j < 16; j++) {
                // element j and j + 16 share byte j: low nibble j, high nibble (j + 16) & 15 = j
                assertEquals((byte) (j | j << 4), seg.get(ValueLayout.JAVA_BYTE, 8 + j));
            }
        }
    }

    @Example
    void zeroAndConstantBlocks() {
        assertArrayEquals(new float[32], roundTrip(new float[32]));
        float[] minusTwo = new float[32];
        java.util.Arrays.fill(minusTwo, -2f);
        assertArrayEquals(minusTwo, roundTrip(minusTwo));
    }

    private float[] roundTrip(float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(values, 0, 32, seg, 0);
            float[] back = new float[32];
            format().dequantize(seg, 0, back, 0, 32);
            return back;
        }
    }
}
