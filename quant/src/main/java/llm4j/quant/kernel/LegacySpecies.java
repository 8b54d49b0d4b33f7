package llm4j.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/**
 * Species and constants the legacy kernels share, resolved once from {@link Vectors#F} so the JIT
 * sees them as constants.
 */
final class LegacySpecies {

    static final VectorSpecies<Float> F = Vectors.F;
    /** Float lanes per vector. */
    static final int L = F.length();
    static final VectorSpecies<Integer> I = Vectors.sameWidth(int.class);
    /** Half as wide as {@link #F}: one 16-bit lane per float lane. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));

    /**
     * The bytes of one load: one per float lane, but never fewer than 8 because the API has no
     * 32-bit shape. With 4 float lanes each load therefore feeds {@link #PARTS} = 2 float vectors.
     */
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : ByteVector.SPECIES_64;
    static final int BYTES = B.length();
    static final int PARTS = BYTES / L;

    /** The elements of a 32-element block that one byte load covers per nibble half. */
    static final int QK = 32;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private LegacySpecies() {
    }

    /** A block's fp16 scale. NaN payloads don't matter in a dot product, so no quieting here. */
    static float half(MemorySegment w, long offset) {
        return Float.float16ToFloat(w.get(LE_SHORT, offset));
    }

    /** A block's fp16 scale in every lane. */
    static FloatVector halfBroadcast(MemorySegment w, long offset) {
        return FloatVector.broadcast(F, half(w, offset));
    }

    static void checkBlocks(int n) {
        if (n % QK != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the block size " + QK);
        }
    }
}
