package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import llm4j.quant.QuantFormat;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;

class BF16FormatTest extends LegacyFormatContract {

    @Override
    QuantFormat format() {
        return BF16Format.INSTANCE;
    }

    @Override
    int elements(int blocks, Random rnd) {
        return blocks * 32 - rnd.nextInt(32);
    }

    /** Random signs, mantissas and exponents within ±2^±40, so no product overflows. */
    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        for (int i = 0; i < n; i++) {
            int exponent = 127 + rnd.nextInt(81) - 40;
            int bits = (rnd.nextInt() & 0x8000_0000) | exponent << 23 | (rnd.nextInt() & 0x007F_0000);
            seg.set(BlockTesting.LE_SHORT, offset + 2L * i, (short) (bits >>> 16));
        }
    }

    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            assertIsNearestBf16(src[i], back[i]);
        }
    }

    /** The result is whichever of the two enclosing bfloat16 values is nearer, the even one on a tie. */
    private static void assertIsNearestBf16(float value, float rounded) {
        int bits = Float.floatToRawIntBits(value);
        float down = Float.intBitsToFloat(bits & 0xFFFF_0000);
        float up = Float.intBitsToFloat((bits & 0xFFFF_0000) + 0x1_0000);
        double toDown = Math.abs((double) value - down);
        double toUp = Math.abs((double) value - up);
        float expected;
        if (toDown != toUp) {
            expected = toDown < toUp ? down : up;
        } else {
            expected = (Float.floatToRawIntBits(down) & 0x1_0000) == 0 ? down : up;
        }
        assertEquals(expected, rounded, "bf16 of " + value);
    }

    @Property(tries = 300)
    void everyFiniteFloatRoundsToNearestEven(@ForAll int bits, @ForAll boolean tie) {
        int candidate = tie ? (bits & 0xFFFF_0000) | 0x8000 : bits;
        float value = Float.intBitsToFloat(candidate);
        if (Float.isFinite(value) && Math.abs(value) < 3.3e38f) {
            assertIsNearestBf16(value, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(value)));
        }
    }

    /** Any bfloat16 bits, Inf, NaN payloads and subnormals included, decode in vector lanes to the scalar decoder's raw bits. */
    @Property(tries = 300)
    @Tag("vector-kernel")
    void vectorDecodeKeepsEveryBitOfAnyBf16(@ForAll @IntRange(min = 1, max = 200) int n,
                                            @ForAll @IntRange(min = 0, max = 67) int offset,
                                            @ForAll @IntRange(min = 0, max = 5) int dstOffset,
                                            @ForAll long seed) {
        assertVectorDecodeKeepsEveryBit(new Random(seed), n, offset, dstOffset);
    }

    /** The same once C2 has compiled the decoder with intrinsics (the property above mostly runs plain Java). */
    @Example
    @Tag("vector-kernel")
    void compiledVectorDecodeKeepsEveryBitOfAnyBf16() {
        Random rnd = new Random(13);
        for (int call = 0; call < 20_000; call++) {
            assertVectorDecodeKeepsEveryBit(rnd, 1 + rnd.nextInt(100), rnd.nextInt(9), rnd.nextInt(5));
        }
    }

    private void assertVectorDecodeKeepsEveryBit(Random rnd, int n, int offset, int dstOffset) {
        try (Arena arena = Arena.ofConfined()) {
            // sized exactly: a decoder reading past the row's end fails
            MemorySegment seg = arena.allocate(offset + 2L * n);
            for (int i = 0; i < n; i++) {
                short b = (short) rnd.nextInt();
                switch (rnd.nextInt(4)) {
                    case 0 -> b |= 0x7F80; // Inf or NaN
                    case 1 -> b &= (short) 0x807F; // subnormal or zero
                    default -> { }
                }
                seg.set(BlockTesting.LE_SHORT, offset + 2L * i, b);
            }
            assertDecodersAgree(seg, offset, n, dstOffset, "");
        }
    }

    @Example
    void nanKeepsItsTopBitsAndIsQuieted() {
        assertEquals((short) 0x7FC0, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F80_0001)));
        assertEquals((short) 0xFFC1, HalfFloats.floatToBf16(Float.intBitsToFloat(0xFF81_2345)));
        assertEquals((short) 0x7F80, HalfFloats.floatToBf16(Float.MAX_VALUE), "rounds up to infinity");
        assertEquals((short) 0xFF80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0x7F81)));
    }
}
