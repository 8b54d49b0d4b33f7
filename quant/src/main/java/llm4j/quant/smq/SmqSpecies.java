package llm4j.quant.smq;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import llm4j.quant.Vectors;

/** Vector species and constants the SMQ kernels share, fixed once from {@link Vectors#F}. */
final class SmqSpecies {

    static final VectorSpecies<Float> F = Vectors.F;
    /** Float lanes per vector. */
    static final int L = F.length();
    /** One byte per float lane, but at least 8: the API has no 32-bit shape. */
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : ByteVector.SPECIES_64;
    static final int BYTES = B.length();
    /** Float vectors one byte vector widens to. */
    static final int PARTS = BYTES / L;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /**
     * Interleaves the low-nibble codes (even elements) with the high-nibble codes (odd elements) of one byte load:
     * {@code ZIP[0]} gives elements 0 .. BYTES-1, {@code ZIP[1]} the next BYTES. Negative indices pick lanes from
     * the second vector of a two-vector rearrange.
     */
    static final VectorShuffle<Byte>[] ZIP = zip();

    private SmqSpecies() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Byte>[] zip() {
        VectorShuffle<Byte>[] out = new VectorShuffle[2];
        for (int half = 0; half < 2; half++) {
            int[] index = new int[BYTES];
            for (int m = 0; m < BYTES; m++) {
                int source = half * BYTES / 2 + m / 2;
                index[m] = m % 2 == 0 ? source : source - BYTES;
            }
            out[half] = VectorShuffle.fromArray(B, index, 0);
        }
        return out;
    }
}
