package llm4j.quant.smq;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import llm4j.quant.GgmlType;
import llm4j.quant.format.HalfFloats;

/**
 * Loss-free moves of ggml Q8_0 and Q4_0 blocks into SMQ's layouts with blocks of 32: the fp16 scale widens exactly
 * to float32, Q8_0 codes are copied, and Q4_0's biased codes (q - 8, low nibbles first within a block) become SMQ's
 * signed nibbles in element order. Every value decodes to the same float as ggml's {@code dequantize_row_*}.
 */
public final class SmqRepack {

    /** The block size a repacked tensor keeps: ggml's. */
    public static final int BLOCK = 32;

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SmqRepack() {
    }

    /** The SMQ scheme {@code type} repacks into without loss, or null. */
    public static SmqScheme lossFreeScheme(GgmlType type) {
        return switch (type) {
            case Q8_0 -> SmqScheme.Q8_0;
            case Q4_0 -> SmqScheme.Q4_0;
            default -> null;
        };
    }

    /** Repacks {@code elements} values of ggml blocks in {@code src} into {@code codes} and {@code scales}. */
    public static void repack(GgmlType type, MemorySegment src, long elements, MemorySegment codes, MemorySegment scales) {
        if (elements % BLOCK != 0 || src.byteSize() != type.bytesFor(elements)) {
            throw new IllegalArgumentException(type + " blocks of " + src.byteSize() + " bytes do not hold " + elements + " values");
        }
        long blocks = elements / BLOCK;
        for (long b = 0; b < blocks; b++) {
            long at = b * type.blockBytes();
            float d = HalfFloats.f16ToFloat(src.get(LE_SHORT, at));
            scales.set(SmqSpecies.LE_FLOAT, 4 * b, d);
            switch (type) {
                case Q8_0 -> MemorySegment.copy(src, at + 2, codes, b * BLOCK, BLOCK);
                case Q4_0 -> {
                    for (int j = 0; j < BLOCK / 2; j++) {
                        int packed = src.get(JAVA_BYTE, at + 2 + j);
                        SmqQuantizer.putNibble(codes, b * BLOCK + j, (packed & 0x0F) - 8);
                        SmqQuantizer.putNibble(codes, b * BLOCK + j + BLOCK / 2, ((packed >> 4) & 0x0F) - 8);
                    }
                }
                default -> throw new IllegalArgumentException(type + " has no loss-free SMQ form");
            }
        }
    }
}
