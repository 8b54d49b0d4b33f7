package llm4j.quant.format;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Vector shapes and bit tricks shared by the K-quant kernels. Quantized fields are decoded in byte
 * lanes and widened straight to float lanes, so a load of {@link #BL} bytes feeds {@link #PARTS}
 * float vectors.
 */
final class KVectors {

    static final VectorSpecies<Float> F = Vectors.F;

    /** Float lanes per vector. */
    static final int W = F.length();

    /**
     * Bytes per load: one float vector's worth of byte lanes, but at least 64 bits, the narrowest
     * species (so 128-bit floats take two parts of each 8-byte load).
     */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));

    static final int BL = B.length();

    /** Float vectors per byte load. */
    static final int PARTS = BL / W;

    static final FloatVector ZERO = FloatVector.zero(F);

    private KVectors() {
    }

    static ByteVector load(MemorySegment w, long offset) {
        return ByteVector.fromMemorySegment(B, w, offset, ByteOrder.LITTLE_ENDIAN);
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

    /** Moves bit {@code from} of every byte to bit {@code to} (other bits are junk; mask them). */
    static ByteVector moveBit(ByteVector v, int from, int to) {
        if (from > to) {
            return shiftRight(v, from - to);
        }
        return from < to ? shiftLeft(v, to - from) : v;
    }
}
