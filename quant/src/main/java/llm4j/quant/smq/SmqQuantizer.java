package llm4j.quant.smq;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;

/**
 * SmallMind's quantizers for SMQ Q8_0 and Q4_0, so that files written here decode as SmallMind's own would:
 * per block of the flat order, {@code scale = max|x| / 127} (Q8_0) or {@code / 7} (Q4_0), or 1 for an all-zero
 * block, and {@code code = round-half-to-even(clamp(x / scale))} (.NET's MathF.Round).
 */
public final class SmqQuantizer {

    private SmqQuantizer() {
    }

    /**
     * Quantizes {@code n} values that start at flat element {@code first} (a block boundary) into {@code codes} and
     * {@code scales}, laid out for the whole tensor. Only the tensor's last chunk may end inside a block.
     */
    public static void quantize(SmqScheme scheme, float[] src, int srcOffset, int n, long first, int blockSize,
                                MemorySegment codes, MemorySegment scales) {
        if (first % blockSize != 0) {
            throw new IllegalArgumentException("chunk starts at element " + first + ", inside a block of " + blockSize);
        }
        int limit = switch (scheme) {
            case Q8_0 -> 127;
            case Q4_0 -> 7;
            default -> throw new IllegalArgumentException("SMQ scheme " + scheme + " is not block-quantized");
        };
        int low = scheme == SmqScheme.Q8_0 ? -127 : -8;
        for (int start = 0; start < n; start += blockSize) {
            int len = Math.min(blockSize, n - start);
            float amax = 0f;
            for (int j = 0; j < len; j++) {
                amax = Math.max(amax, Math.abs(src[srcOffset + start + j]));
            }
            float scale = amax == 0f ? 1f : amax / limit;
            long block = (first + start) / blockSize;
            scales.set(SmqSpecies.LE_FLOAT, 4 * block, scale);
            for (int j = 0; j < len; j++) {
                float scaled = Math.clamp(src[srcOffset + start + j] / scale, (float) low, (float) limit);
                int code = (int) Math.rint(scaled);
                long i = first + start + j;
                if (scheme == SmqScheme.Q8_0) {
                    codes.set(JAVA_BYTE, i, (byte) code);
                } else {
                    putNibble(codes, i, code);
                }
            }
        }
    }

    /** Stores a 4-bit two's-complement code, leaving the other nibble of its byte alone. */
    static void putNibble(MemorySegment codes, long i, int code) {
        long at = i >> 1;
        int packed = codes.get(JAVA_BYTE, at);
        packed = (i & 1) == 0 ? (packed & 0xF0) | (code & 0x0F) : (packed & 0x0F) | ((code & 0x0F) << 4);
        codes.set(JAVA_BYTE, at, (byte) packed);
    }
}
