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

class Q5_0FormatTest extends LegacyFormatContract {

    private static final int BLOCK = 22;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    QuantFormat format() {
        return Q5_0Format.INSTANCE;
    }

    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        BlockTesting.fillBlocks(rnd, seg, offset, n, BLOCK, 0);
    }

    /** Half a step, a whole one for the value clamped from code 32 to 31; plus d's fp16 rounding. */
    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            long block = (long) (i / 32) * BLOCK;
            double d = Math.abs(BlockTesting.half(seg, block));
            int qh = seg.get(LE_INT, block + 2);
            int packed = seg.get(ValueLayout.JAVA_BYTE, block + 6 + i % 16) & 0xFF;
            int code = (i % 32 < 16 ? packed & 0x0F : packed >> 4) | ((qh >>> (i % 32)) & 1) << 4;
            double steps = code == 31 ? 1.0 : 0.5;
            double bound = d * (steps + 16 * 0x1p-11) + 16 * 0x1p-25 + Math.ulp(src[i]);
            assertTrue(Math.abs(src[i] - back[i]) <= bound, "element " + i + ": " + src[i] + " -> " + back[i] + ", d=" + d);
        }
    }

    /** d = 0 / -16 = -0 (fp16 0x8000); code 16 = 0b10000 for all 32 elements. */
    @Example
    void zeroBlockSetsEveryFifthBit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(new float[32], 0, 32, seg, 0);
            assertEquals((short) 0x8000, seg.get(BlockTesting.LE_SHORT, 0));
            assertEquals(-1, seg.get(LE_INT, 2));
            for (int j = 0; j < 16; j++) {
                assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, 6 + j));
            }
        }
    }

    /** Values -16..15 (-16 is the largest magnitude, so d = 1): every code 0..31 once, in two orders. */
    @Example
    void everyCodeRoundTripsExactly() {
        float[] ladder = new float[32];
        float[] shuffled = new float[32];
        for (int j = 0; j < 32; j++) {
            ladder[j] = j - 16;
            shuffled[j] = (j * 7 + 3) % 32 - 16; // 7 is odd, so this is a permutation
        }
        assertArrayEquals(ladder, roundTrip(ladder));
        assertArrayEquals(shuffled, roundTrip(shuffled));
    }

    @Example
    void firstOfEqualMagnitudesWins() {
        float[] back = roundTrip(BlockTesting.block(2f, -2f));
        assertEquals(2f, back[0]);
        assertEquals(-1.875f, back[1], "code 32 clamps to 31: 15 steps of -1/8");
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
