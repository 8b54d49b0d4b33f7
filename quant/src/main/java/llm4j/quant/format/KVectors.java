package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Vector shapes and bit tricks shared by the K-quant kernels. Quantized fields are decoded in byte
 * lanes and widened straight to float lanes, so a load of {@link #BL} bytes feeds {@link #PARTS}
 * float vectors.
 *
 * <p>Two C2 limits shape every kernel; break either and the vectors are boxed on the heap (tens of
 * kB per row, 10-50x slower):
 * <ul>
 * <li>Accumulators start from {@code FloatVector.zero(F)} written in the loop, never from a static
 *     final zero vector: C2 cannot unbox a loop phi that merges a constant vector object.</li>
 * <li>A kernel parses to about 8,000-17,000 IR nodes; past C2's inlining cut-off (18,000) the
 *     remaining vector calls stay calls. So kernels decode one sub-block (Q4_K: one pair sharing a
 *     load) per loop iteration from one copy of the decode code, rather than unrolling by hand.
 *     Measured costs (-XX:+LogCompilation): a {@link #floats} ~3,400 nodes, a 16-bit shift ~1,200,
 *     a segment vector load ~1,300, a scalar segment read ~700 (docs/kernels-kquants.md).</li>
 * </ul>
 * {@code KQuantThroughput} (test sources) prints allocated bytes per row to catch both.
 */
final class KVectors {

    static final VectorSpecies<Float> F = Vectors.F;

    /** Float lanes per vector. */
    static final int W = F.length();

    /**
     * The byte vectors loads produce: one byte lane per float lane, except with 4 float lanes, where
     * no 32-bit shape exists and a 128-bit vector carries the 4 bytes in its first lanes.
     */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(W >= 8 ? 8 * W : 128));

    /** Bytes per load: one float vector's worth. */
    static final int BL = W;

    /**
     * Float vectors per byte load: always one. (Two 4-lane parts of an 8-byte load at 128 bits took
     * convertShape's slice path, whose extra IR pushed the Q4_K and Q6_K kernels past C2's inlining
     * cut-off.)
     */
    static final int PARTS = 1;

    /** Int lanes of {@link #B}'s shape: at 4 float lanes, 4 bytes are loaded as one int and broadcast. */
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, B.vectorShape());

    private KVectors() {
    }

    /**
     * The {@link #BL} bytes at {@code offset} in the first lanes of a {@link #B} vector. Kept under C2's
     * MaxInlineSize (35 bytes of bytecode, the 4-lane path in its own method): a call site C2 does not deem
     * hot is inlined only below that size, and a load left as a call returns a boxed vector (Q6_K, 9 kB/row).
     */
    static ByteVector load(MemorySegment w, long offset) {
        if (W >= 8) {
            return ByteVector.fromMemorySegment(B, w, offset, ByteOrder.LITTLE_ENDIAN);
        }
        return loadInt(w, offset);
    }

    /** 4 bytes read as an int and broadcast: no 32-bit byte shape exists. */
    private static ByteVector loadInt(MemorySegment w, long offset) {
        return IntVector.broadcast(INTS, w.get(KQuants.LE_INT, offset)).reinterpretAsBytes();
    }

    /*
     * Block headers are read with a few wide loads and unpacked with shifts: every segment access
     * inlines a tree of checks, and with one access per scale byte C2 ran out of inlining budget
     * (NodeCountInliningCutoff) and left vector ops as calls that box their vectors.
     */

    /** fp16 at bits 0..15 of {@code bits}. */
    static float lowHalf(int bits) {
        return Float.float16ToFloat((short) bits);
    }

    /** fp16 at bits 16..31 of {@code bits}. */
    static float highHalf(int bits) {
        return Float.float16ToFloat((short) (bits >>> 16));
    }

    /**
     * Each byte value as a float, read as signed (int8), indexed by the byte read unsigned: a scale
     * looked up here is one load (that the multiply by d can take as its operand) instead of a sign
     * extension, a move to a vector register and an int-to-float conversion per sub-block.
     */
    private static final float[] BYTE_FLOATS = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_FLOATS[i] = (byte) i;
        }
    }

    /** Byte {@code i} of a little-endian long as a float, read as signed (6-bit scales are the same either way). */
    static float byteFloat(long bytes, int i) {
        return BYTE_FLOATS[(int) (bytes >>> (8 * i)) & 0xFF];
    }

    /** Byte {@code i} of a little-endian long, unsigned. */
    static int byteOf(long bytes, int i) {
        return (int) (bytes >>> (8 * i)) & 0xFF;
    }

    /**
     * Scale {@code j} of a Q4_K/Q5_K super-block from its 12 scale bytes read as a long ({@code s0},
     * bytes 0..7) and an int ({@code s8}, bytes 8..11); see {@link KQuants#scaleK4}.
     */
    static int scaleK4(long s0, int s8, int j) {
        if (j < 4) {
            return byteOf(s0, j) & 63;
        }
        return (byteOf(s8, j - 4) & 0xF) | ((byteOf(s0, j - 4) >> 6) << 4);
    }

    /** Min {@code j} of a Q4_K/Q5_K super-block; see {@link #scaleK4(long, int, int)}. */
    static int minK4(long s0, int s8, int j) {
        if (j < 4) {
            return byteOf(s0, j + 4) & 63;
        }
        return (byteOf(s8, j - 4) >> 4) | ((byteOf(s0, j) >> 6) << 4);
    }

    /**
     * The 8 six-bit scales of a Q4_K/Q5_K super-block, scale j in byte j, from its 12 scale bytes
     * read as a long ({@code s0}, bytes 0..7) and an int ({@code s8}, bytes 8..11): all eight
     * unpacked at once with masks (see {@link KQuants#scaleK4} for the layout).
     */
    static long scalesK4(long s0, int s8) {
        long low = s0 & 0x3F3F3F3FL;
        long high = (s8 & 0x0F0F0F0FL) | ((s0 >>> 2) & 0x30303030L);
        return low | (high << 32);
    }

    /** The 8 six-bit mins of a Q4_K/Q5_K super-block, min j in byte j; see {@link #scalesK4}. */
    static long minsK4(long s0, int s8) {
        long low = (s0 >>> 32) & 0x3F3F3F3FL;
        long high = ((s8 >>> 4) & 0x0F0F0F0FL) | ((s0 >>> 34) & 0x30303030L);
        return low | (high << 32);
    }

    /** {@code a} in lanes 0..7 and {@code b} in lanes 8..15 of a 16-lane int vector: per-half shift counts. */
    static IntVector halves(VectorSpecies<Integer> words, int a, int b) {
        return IntVector.fromArray(words, new int[] {a, a, a, a, a, a, a, a, b, b, b, b, b, b, b, b}, 0);
    }

    /** {@code acc + v·s}. */
    static FloatVector addScaled(FloatVector acc, FloatVector v, float s) {
        return v.fma(FloatVector.broadcast(F, s), acc);
    }

    /** Float lanes from bytes {@code part·W ..} of {@code v}, read as signed. */
    static FloatVector floats(ByteVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
    }

    /**
     * Every byte shifted right by {@code n}, done as one 16-bit shift (x86 has no byte shift): each
     * byte's top {@code n} bits are then junk from its neighbour, so callers keep at most the low
     * {@code 8 - n} bits.
     */
    static ByteVector shiftRight(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes();
    }

    /** Every byte shifted left by {@code n} as a 16-bit shift; callers drop each byte's low {@code n} bits. */
    static ByteVector shiftLeft(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHL, n).reinterpretAsBytes();
    }
}
