package llm4j.loader;

import java.lang.foreign.MemorySegment;

import llm4j.quant.smq.SmqScheme;

/**
 * How a {@link TensorView}'s bytes encode its values. Almost every tensor is {@link #GGML}: the view's ggml type,
 * blocks back to back in {@code data}. SMQ's quantized schemes keep codes and scales in two separate blobs
 * ({@link SmqBlocks}); for them the view's type only names the kind of value (8-bit or 4-bit codes with a scale).
 */
public sealed interface TensorLayout {

    /** ggml blocks of the view's type (GGUF, safetensors, SMQ F32). */
    Ggml GGML = new Ggml();

    record Ggml() implements TensorLayout {
    }

    /**
     * SMQ Q8_0 / Q4_0: {@code data} holds the codes in flat order, {@code scales} one little-endian float32 per
     * {@code blockSize} consecutive elements.
     *
     * @param scalesOffset the scale blob's byte offset in the file (for dumps and error messages)
     */
    record SmqBlocks(SmqScheme scheme, int blockSize, long scalesOffset, MemorySegment scales) implements TensorLayout {
    }
}
