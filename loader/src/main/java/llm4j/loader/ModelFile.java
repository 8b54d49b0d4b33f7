package llm4j.loader;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An opened model file (GGUF, SMQ, safetensors): its metadata and tensor views over one memory
 * mapping. Closing it unmaps the file; tensor views must not be used after that.
 */
public interface ModelFile extends AutoCloseable {

    Path path();

    /** "gguf", "smq" or "safetensors". */
    String format();

    long fileSize();

    Metadata metadata();

    /** Tensors in file order. */
    List<TensorView> tensors();

    default Optional<TensorView> tensor(String name) {
        return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    @Override
    void close();
}
