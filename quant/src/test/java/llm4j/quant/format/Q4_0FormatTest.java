package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import llm4j.quant.QuantFormat;
import net.jqwik.api.Example;

class Q4_0FormatTest extends LegacyFormatContract {

    private static final int BLOCK = 18;

    @Override
    QuantFormat format() {
        return Q4_0Format.INSTANCE;
    }

    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        BlockTesting.fillBlocks(rnd, seg, offset, n, BLOCK, 0);
    }

    /** Half a step, or a whole one for the value clamped from code 16 to 15; plus d's fp16 rounding. */
    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            long block = (long) (i / 32) * BLOCK;
            double d = Math.abs(BlockTesting.half(seg, block));
            int packed = seg.get(ValueLayout.JAVA_BYTE, block + 2 + i % 16) & 0xFF;
            int code = i % 32 < 16 ? packed & 0x0F : packed >> 4;
            double steps = code == 15 ? 1.0 : 0.5;
            double bound = d * (steps + 8 * 0x1p-11) + 8 * 0x1p-25 + Math.ulp(src[i]);
            assertTrue(Math.abs(src[i] - back[i]) <= bound, "element " + i + ": " + src[i] + " -> " + back[i] + ", d=" + d);
        }
    }

    /** d = 0 / -8 is -0 in IEEE arithmetic, so ggml stores fp16 0x8000 and decodes -0.0. */
    @Example
    void zeroBlockHasNegativeZeroScaleAndMidCodes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(new float[32], 0, 32, seg, 0);
            assertEquals((short) 0x8000, seg.get(BlockTesting.LE_SHORT, 0));
            for (int j = 0; j < 16; j++) {
                assertEquals((byte) 0x88, seg.get(ValueLayout.JAVA_BYTE, 2 + j), "code 8 is zero in both nibbles");
            }
            float[] back = new float[32];
            format().dequantize(seg, 0, back, 0, 32);
            assertEquals(-0f, back[5]);
        }
    }

    /** The first value of largest magnitude fixes the sign of d and lands on code 0; its opposite clamps to 15. */
    @Example
    void firstOfEqualMagnitudesWins() {
        assertEquals(2f, roundTrip(2f, -2f)[0]);
        assertEquals(-1.75f, roundTrip(2f, -2f)[1]);
        assertEquals(-2f, roundTrip(-2f, 2f)[0]);
        assertEquals(1.75f, roundTrip(-2f, 2f)[1]);
    }

    @Example
    void hugeValueIsKeptAndSmallOnesVanish() {
        float[] back = roundTrip(1000f, 0.001f, -0.002f);
        assertEquals(1000f, back[0]);
        assertEquals(-0f, back[1], "code 8 times d = -125");
        assertEquals(-0f, back[2]);
    }

    private float[] roundTrip(float... values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(BlockTesting.block(values), 0, 32, seg, 0);
            float[] back = new float[32];
            format().dequantize(seg, 0, back, 0, 32);
            return back;
        }
    }
}
