package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import llm4j.quant.QuantFormat;
import net.jqwik.api.Example;

class Q4_1FormatTest extends LegacyFormatContract {

    private static final int BLOCK = 20;

    @Override
    QuantFormat format() {
        return Q4_1Format.INSTANCE;
    }

    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        BlockTesting.fillBlocks(rnd, seg, offset, n, BLOCK, 0, 2);
    }

    @Override
    double magnitude(MemorySegment seg, long offset, float[] w, float[] x, int xOffset) {
        return BlockTesting.offsetMagnitude(seg, offset, BLOCK, w, x, xOffset);
    }

    /** Half of the 15 steps between min and max, plus the fp16 rounding of d (times 15) and of m. */
    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            long block = (long) (i / 32) * BLOCK;
            double d = Math.abs(BlockTesting.half(seg, block));
            double m = Math.abs(BlockTesting.half(seg, block + 2));
            double bound = d * (0.5 + 15 * 0x1p-11) + m * 0x1p-10 + 16 * 0x1p-25 + 4 * Math.ulp(src[i]);
            assertTrue(Math.abs(src[i] - back[i]) <= bound, "element " + i + ": " + src[i] + " -> " + back[i] + ", d=" + d);
        }
    }

    @Example
    void integerLadderIsExact() {
        float[] ladder = new float[32];
        for (int j = 0; j < 32; j++) {
            ladder[j] = (j % 16) - 1; // min -1, max 14: d = 1
        }
        assertArrayEquals(ladder, roundTrip(ladder));
    }

    @Example
    void constantBlockIsExact() {
        float[] three = new float[32];
        java.util.Arrays.fill(three, 3f);
        assertArrayEquals(three, roundTrip(three));
        assertArrayEquals(new float[32], roundTrip(new float[32]));
    }

    @Example
    void minIsStoredAsOffset() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(BlockTesting.block(-3f, 12f), 0, 32, seg, 0);
            assertEquals(1f, BlockTesting.half(seg, 0), "d = (12 - -3) / 15");
            assertEquals(-3f, BlockTesting.half(seg, 2));
        }
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
