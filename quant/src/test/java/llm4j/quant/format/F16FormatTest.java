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

class F16FormatTest extends LegacyFormatContract {

    @Override
    QuantFormat format() {
        return F16Format.INSTANCE;
    }

    /** Any length, so the vector loops' tails are exercised too. */
    @Override
    int elements(int blocks, Random rnd) {
        return blocks * 32 - rnd.nextInt(32);
    }

    /** Every finite bit pattern, subnormals and signed zeros included; no Inf/NaN here. */
    @Override
    void fillRandom(Random rnd, MemorySegment seg, long offset, int n) {
        for (int i = 0; i < n; i++) {
            short h;
            do {
                h = (short) rnd.nextInt();
            } while ((h & 0x7C00) == 0x7C00);
            seg.set(BlockTesting.LE_SHORT, offset + 2L * i, h);
        }
    }

    /** Finite values come back as the JDK's own round-to-nearest-even binary16 conversion. */
    @Override
    void assertRoundTrip(float[] src, float[] back, MemorySegment seg) {
        for (int i = 0; i < src.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(src[i])), back[i], "element " + i);
        }
    }

    @Example
    void nanBecomesTheCanonicalQuietNanWithItsSign() {
        assertEquals((short) 0x7E00, HalfFloats.floatToF16(Float.intBitsToFloat(0x7F80_0001)));
        assertEquals((short) 0xFE00, HalfFloats.floatToF16(Float.intBitsToFloat(0xFFC1_2345)));
        assertEquals((short) 0x7C00, HalfFloats.floatToF16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7C00, HalfFloats.floatToF16(65520f), "halfway above the largest half rounds to Inf");
        assertEquals((short) 0x7BFF, HalfFloats.floatToF16(65519.996f));
    }

    @Example
    void signallingNanDecodesQuiet() {
        assertEquals(0x7FC0_2000, Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) 0x7C01)));
        assertEquals(0xFFC0_0000, Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) 0xFE00)));
    }

    /** Inf and NaN halves make the vector kernel fall back, giving the scalar result exactly. */
    @Property(tries = 40)
    @Tag("vector-kernel")
    void infinityAndNanReachTheResult(@ForAll @IntRange(min = 1, max = 200) int n,
                                      @ForAll @IntRange(min = 0, max = 199) int at,
                                      @ForAll boolean nan, @ForAll boolean negative) {
        int position = at % n;
        short special = (short) ((negative ? 0xFC00 : 0x7C00) | (nan ? 0x0123 : 0));
        float[] x = new float[n];
        java.util.Arrays.fill(x, 0.5f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * n);
            for (int i = 0; i < n; i++) {
                seg.set(BlockTesting.LE_SHORT, 2L * i, Float.floatToFloat16(i * 0.25f));
            }
            seg.set(BlockTesting.LE_SHORT, 2L * position, special);
            float vector = format().vectorKernel().dot(seg, 0, x, 0, n);
            if (nan) {
                assertTrue(Float.isNaN(vector));
            } else {
                assertEquals(negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, vector);
            }
        }
    }

    /**
     * Any halves, Inf and NaN (signalling and quiet, any payload) and subnormals included, decode in vector lanes to
     * the scalar decoder's raw bits: specials appear in about half the rows, each row ends where its segment does.
     */
    @Property(tries = 300)
    @Tag("vector-kernel")
    void vectorDecodeKeepsEveryBitOfAnyHalf(@ForAll @IntRange(min = 1, max = 200) int n,
                                            @ForAll @IntRange(min = 0, max = 67) int offset,
                                            @ForAll @IntRange(min = 0, max = 5) int dstOffset,
                                            @ForAll long seed) {
        assertVectorDecodeKeepsEveryBit(new Random(seed), n, offset, dstOffset);
    }

    /** The same once C2 has compiled the decoder with intrinsics (the property above mostly runs plain Java). */
    @Example
    @Tag("vector-kernel")
    void compiledVectorDecodeKeepsEveryBitOfAnyHalf() {
        Random rnd = new Random(11);
        for (int call = 0; call < 20_000; call++) {
            assertVectorDecodeKeepsEveryBit(rnd, 1 + rnd.nextInt(100), rnd.nextInt(9), rnd.nextInt(5));
        }
    }

    private void assertVectorDecodeKeepsEveryBit(Random rnd, int n, int offset, int dstOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(offset + 2L * n);
            boolean specials = rnd.nextBoolean();
            for (int i = 0; i < n; i++) {
                short h = (short) rnd.nextInt();
                if (rnd.nextInt(4) == 0) {
                    h &= (short) 0x83FF; // subnormal or zero
                }
                if ((h & 0x7C00) == 0x7C00 && !specials) {
                    h ^= 0x0400;
                }
                seg.set(BlockTesting.LE_SHORT, offset + 2L * i, h);
            }
            if (specials) {
                short[] kinds = {0x7C00, (short) 0xFC00, 0x7C01, (short) 0xFD55, 0x7E00, (short) 0xFFFF};
                seg.set(BlockTesting.LE_SHORT, offset + 2L * rnd.nextInt(n), kinds[rnd.nextInt(kinds.length)]);
            }
            assertDecodersAgree(seg, offset, n, dstOffset, "");
        }
    }

    /** Subnormal halves (exponent 0) must be decoded exactly, not flushed or mis-scaled. */
    @Example
    @Tag("vector-kernel")
    void subnormalsAreExact() {
        int n = 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * n);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                seg.set(BlockTesting.LE_SHORT, 2L * i, (short) (i % 2 == 0 ? i : 0x8000 | 0x3FF));
                x[i] = i == 10 || i == 11 ? 1f : 0f;
            }
            float expected = 10 * 0x1p-24f - 0x3FF * 0x1p-24f;
            assertEquals(expected, format().vectorKernel().dot(seg, 0, x, 0, n));
        }
    }
}
