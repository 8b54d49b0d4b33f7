package llm4j.loader.gguf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;

/** An opened GGUF file: parsed header and metadata, tensors as views over one read-only mapping. */
public final class GgufFile implements ModelFile {

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final Metadata metadata;
    private final List<TensorView> tensors;
    private final Map<String, TensorView> byName;

    GgufFile(Path path, Arena arena, MemorySegment mapping, int version, int alignment, long dataOffset,
             Metadata metadata, List<TensorView> tensors, Map<String, TensorView> byName) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = metadata;
        this.tensors = List.copyOf(tensors);
        this.byName = Map.copyOf(byName);
    }

    /** Maps and parses {@code path}; every count, length and offset is checked against the file first. */
    public static GgufFile open(Path path) throws ModelFormatException {
        return GgufParser.open(path);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "gguf";
    }

    @Override
    public long fileSize() {
        return mapping.byteSize();
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Byte offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public List<TensorView> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorView> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
