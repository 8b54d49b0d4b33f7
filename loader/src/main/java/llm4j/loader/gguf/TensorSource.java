package llm4j.loader.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Produces one tensor's bytes when the writer reaches it, so a multi-gigabyte model streams to disk
 * one chunk at a time. It must write exactly the tensor's byte size (type and shape say how many).
 */
@FunctionalInterface
public interface TensorSource {

    void writeTo(TensorSink sink) throws IOException;

    /** The bytes of {@code data} (e.g. a tensor view of another mapped file). */
    static TensorSource of(MemorySegment data) {
        return sink -> sink.write(data);
    }
}
