package llm4j.quant.kernel;

import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.BYTES;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Spreads the fifth bits of Q5 codes (bit j of the block's 32-bit word qh belongs to element j)
 * over the byte lanes of one load: lane i gets qh's byte (start + i) / 8, masked to bit i % 8.
 */
final class FifthBits {

    private static final ByteVector LANE_BIT = ByteVector.fromArray(B, laneBits(), 0);
    private static final VectorSpecies<Integer> WORDS = VectorSpecies.of(int.class, B.vectorShape());
    private static final VectorShuffle<Byte> BYTE_OF_LANE = VectorShuffle.fromOp(B, i -> i / 8);

    private FifthBits() {
    }

    private static byte[] laneBits() {
        byte[] bits = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            bits[i] = (byte) (1 << (i % 8));
        }
        return bits;
    }

    /** Lanes whose element (start + lane; start a multiple of 8) has its fifth bit set. */
    static VectorMask<Byte> set(int qh, int start) {
        ByteVector spread;
        if (BYTES == 8) {
            // all 8 lanes read the same byte: a plain broadcast
            spread = ByteVector.broadcast(B, (byte) (qh >>> start));
        } else {
            spread = IntVector.broadcast(WORDS, qh >>> start).reinterpretAsBytes().rearrange(BYTE_OF_LANE);
        }
        return spread.and(LANE_BIT).compare(VectorOperators.EQ, LANE_BIT);
    }
}
