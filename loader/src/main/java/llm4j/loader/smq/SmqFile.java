package llm4j.loader.smq;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import llm4j.loader.MappedFiles;
import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;

/**
 * An opened SMQ v1 file, memory-mapped. F32 tensors are ordinary ggml-layout views; Q8_0 and Q4_0 tensors carry
 * their separate scale blob in {@link llm4j.loader.TensorLayout.SmqBlocks}, and {@link TensorView#matrix} gives
 * them SMQ's own kernels. Shapes are in ggml order like every other {@link ModelFile}.
 */
public final class SmqFile implements ModelFile {

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final Metadata metadata;
    private final List<TensorView> tensors;

    private SmqFile(Path path, Arena arena, MemorySegment mapping, SmqParser.Parsed parsed) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = parsed.version();
        this.metadata = parsed.metadata();
        this.tensors = parsed.tensors();
    }

    public static SmqFile open(Path path) throws ModelFormatException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = MappedFiles.map(path, arena);
            SmqFile file = new SmqFile(path, arena, mapping, new SmqParser(path, mapping).parse());
            arena = null; // owned by the file now
            return file;
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "smq";
    }

    public int version() {
        return version;
    }

    @Override
    public long fileSize() {
        return mapping.byteSize();
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
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
