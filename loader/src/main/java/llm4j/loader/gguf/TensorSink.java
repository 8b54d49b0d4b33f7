package llm4j.loader.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Where a {@link TensorSource} writes a tensor's bytes, in order, in chunks of any size. */
public interface TensorSink {

    /** Largest slice handed to {@link #write(ByteBuffer)} at once (a ByteBuffer holds at most 2 GiB). */
    long MAX_CHUNK = 1L << 30;

    /** Writes all remaining bytes of {@code bytes}. */
    void write(ByteBuffer bytes) throws IOException;

    /** Writes all of {@code bytes}; a mapped or native segment goes to the file without a heap copy. */
    default void write(MemorySegment bytes) throws IOException {
        long size = bytes.byteSize();
        for (long at = 0; at < size; at += MAX_CHUNK) {
            write(bytes.asSlice(at, Math.min(MAX_CHUNK, size - at)).asByteBuffer());
        }
    }
}
