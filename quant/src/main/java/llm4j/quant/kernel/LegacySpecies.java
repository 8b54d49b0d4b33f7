package llm4j.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Species, constants and load helpers the legacy kernels share, resolved once from
 * {@link Vectors#F} so the JIT sees them as constants.
 */
final class LegacySpecies {

    static final VectorSpecies<Float> F = Vectors.F;
    /** Float lanes per vector; every byte load covers exactly this many elements. */
    static final int L = F.length();
    static final VectorSpecies<Integer> I = Vectors.sameWidth(int.class);
    /** Half as wide as {@link #F}: one 16-bit lane per float lane. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    /**
     * The byte vectors loads produce: one lane per float lane, except with 4 float lanes, where no
     * 32-bit shape exists and a 128-bit vector carries the 4 bytes in its first lanes.
     */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L >= 8 ? 8 * L : 128));

    /** Elements per block of the legacy quantized types. */
    static final int QK = 32;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** A Q5 block's first 8 bytes in one read: its scale(s) and fifth bits (two-row kernels). */
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private LegacySpecies() {
    }

    /**
     * The {@link #L} bytes at {@code offset} in the first lanes of a {@link #B} vector. With 4 lanes
     * they are read as one int and broadcast: splitting a wider load instead goes through
     * convertShape's slice path, which measured 2x slower and exhausted C2's inlining budget.
     */
    static ByteVector loadBytes(MemorySegment w, long offset) {
        if (L >= 8) {
            return ByteVector.fromMemorySegment(B, w, offset, LE);
        }
        return IntVector.broadcast(I, w.get(LE_INT, offset)).reinterpretAsBytes();
    }

    /** The first {@link #L} byte lanes as floats (sign-extended). */
    static FloatVector widen(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0);
    }

    /** A block's fp16 scale in every lane. NaN payloads don't matter in a dot product: no quieting. */
    static FloatVector halfBroadcast(MemorySegment w, long offset) {
        return FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, offset)));
    }

    static void checkBlocks(int n) {
        if (n % QK != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the block size " + QK);
        }
    }
}
