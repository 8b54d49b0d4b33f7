package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import llm4j.quant.QuantFormat;
import net.jqwik.api.Example;

class Q8_0FormatTest extends LegacyFormatContract {

    private static final int BLOCK = 34;

    @Override
    QuantFormat format() {
        return Q8_0Format.INSTANCE;
    }

    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        BlockTesting.fillBlocks(rnd, seg, offset, n, BLOCK, 0);
    }

    /** Half a step of amax/127, plus d's fp16 rounding times up to 127 steps. */
    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            double d = Math.abs(BlockTesting.half(seg, (long) (i / 32) * BLOCK));
            double bound = d * (0.5 + 127 * 0x1p-11) + 127 * 0x1p-25 + Math.ulp(src[i]);
            assertTrue(Math.abs(src[i] - back[i]) <= bound, "element " + i + ": " + src[i] + " -> " + back[i] + ", d=" + d);
        }
    }

    /** With amax = 127 the scale is 1, so codes are the C roundf of the inputs: halves go away from zero. */
    @Example
    void halfwayCasesRoundAwayFromZero() {
        byte[] codes = codes(127f, 2.5f, -2.5f, 0.5f, -0.5f, -127f, 1.4999999f);
        assertEquals(127, codes[0]);
        assertEquals(3, codes[1]);
        assertEquals(-3, codes[2]);
        assertEquals(1, codes[3]);
        assertEquals(-1, codes[4]);
        assertEquals(-127, codes[5]);
        assertEquals(1, codes[6]);
    }

    @Example
    void zeroBlockIsAllZero() {
        byte[] codes = codes();
        for (byte c : codes) {
            assertEquals(0, c);
        }
    }

    private byte[] codes(float... values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(BLOCK);
            format().quantize(BlockTesting.block(values), 0, 32, seg, 0);
            if (values.length > 0 && values[0] == 127f) {
                assertEquals(1f, BlockTesting.half(seg, 0));
            } else {
                assertEquals(0, seg.get(BlockTesting.LE_SHORT, 0));
            }
            return seg.asSlice(2, 32).toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
