package llm4j.quant.kernel;

import llm4j.quant.Vectors;
import static llm4j.quant.kernel.LegacySpecies.B;
import static llm4j.quant.kernel.LegacySpecies.BYTES;
import static llm4j.quant.kernel.LegacySpecies.F;
import static llm4j.quant.kernel.LegacySpecies.L;
import static llm4j.quant.kernel.LegacySpecies.LE;
import static llm4j.quant.kernel.LegacySpecies.LE_INT;
import static llm4j.quant.kernel.LegacySpecies.PARTS;
import static llm4j.quant.kernel.LegacySpecies.QK;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0 · F32 dot product. The signed value q - 16 of a 5-bit code is, as a byte, its low nibble
 * when the fifth bit is set and the low nibble with the top four bits set (-16 + nibble) when it
 * is clear, so one masked OR re-centres the codes before they are widened to floats.
 */
public final class Q5_0Kernel {

    private static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;
    private static final byte NEGATIVE = (byte) 0xF0;

    private Q5_0Kernel() {
    }

    public static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        LegacySpecies.checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, blocks = n / QK; b < blocks; b++, offset += BLOCK_BYTES, xOffset += QK) {
            int qh = w.get(LE_INT, offset + QH);
            FloatVector block = FloatVector.zero(F);
            for (int k = 0; k < QK / 2; k += BYTES) {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, offset + QS + k, LE);
                ByteVector low = centred(Nibbles.low(packed), FifthBits.set(qh, k));
                ByteVector high = centred(Nibbles.high(packed), FifthBits.set(qh, k + QK / 2));
                for (int p = 0; p < PARTS; p++) {
                    int xi = xOffset + k + p * L;
                    block = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xi), block);
                    block = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xi + QK / 2), block);
                }
            }
            acc = block.fma(LegacySpecies.halfBroadcast(w, offset), acc);
        }
        return Vectors.sum(acc);
    }

    private static ByteVector centred(ByteVector nibbles, VectorMask<Byte> fifthBitSet) {
        return nibbles.or(NEGATIVE).blend(nibbles, fifthBitSet);
    }
}
