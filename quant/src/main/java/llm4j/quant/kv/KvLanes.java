package llm4j.quant.kv;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fixed vector shapes of the cache kernels. A 32-element block is exactly four 8-float
 * vectors, and 8 bytes, 8 halves or 16 packed nibbles each fill one such vector, so the kernels
 * use 256-bit float vectors regardless of the preferred width: every load then widens into whole
 * vectors without partial lanes (on 512-bit machines this gives up width, not correctness).
 */
final class KvLanes {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /** 8 bytes: one float vector's worth of 8-bit codes. */
    static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /** 16 bytes: half a nibble block, or 8 half floats. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    static final int L = 8;

    /** Keeps the sign (copied to bit 31 by sign extension) and the 15 value bits shifted into float position. */
    private static final int SIGN_AND_VALUE = 0x8FFF_E000;
    /** 2^(127-15): turns a binary16 exponent into a binary32 one, exactly, subnormals included. */
    private static final float REBIAS = 0x1p112f;

    /** Lane i to lane i ± 4, and lane i to lane i ± 2 within each half. */
    private static final VectorShuffle<Float> SWAP_HALVES = VectorShuffle.fromOp(F, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(F, i -> i ^ 2);

    private KvLanes() {
    }

    /**
     * The horizontal sum x86 code uses (AVX halves, then movehl, then movehdup):
     * ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)). {@code reduceLanes} leaves the order unspecified.
     */
    static float sumLikeX86(FloatVector v) {
        FloatVector halves = v.add(v.rearrange(SWAP_HALVES));
        FloatVector pairs = halves.add(halves.rearrange(SWAP_PAIRS));
        return pairs.lane(0) + pairs.lane(1);
    }

    /** Eight little-endian halves at {@code off} as their 16-bit patterns. */
    static ShortVector halves(byte[] a, int off) {
        return ByteVector.fromArray(B16, a, off).reinterpretAsShorts();
    }

    /**
     * Widens eight finite halves to floats. There is no half-float lane conversion in the JDK 25
     * Vector API, so the bits move into float position in int lanes and a multiply by 2^112 rebiases
     * the exponent. Infinities and NaNs would come out finite: callers check {@link #anySpecial} first.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 13).and(SIGN_AND_VALUE).reinterpretAsFloats().mul(REBIAS);
    }

    /** Whether any of the halves has the all-ones exponent of infinity and NaN. */
    static boolean anySpecial(ShortVector h) {
        return h.and((short) 0x7C00).compare(VectorOperators.EQ, (short) 0x7C00).anyTrue();
    }

    /** Eight bfloat16 values: their bits are the upper half of the float. */
    static FloatVector bf16ToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Signed bytes (part {@code part} of a 16-byte vector, or all of an 8-byte one) as floats. */
    static FloatVector bytesToFloat(ByteVector b, int part) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, part);
    }

    /** Low nibbles of 16 packed bytes, as byte lanes 0..15. */
    static ByteVector lowNibbles(ByteVector packed) {
        return packed.and((byte) 0x0F);
    }

    /**
     * High nibbles of 16 packed bytes. x86 has no byte shift, so the shift runs in int lanes and the
     * bits that cross into the neighbouring byte are masked off.
     */
    static ByteVector highNibbles(ByteVector packed) {
        return packed.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }
}
