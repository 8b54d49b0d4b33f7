package llm4j.loader.safetensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import llm4j.loader.MappedFiles;
import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;

/**
 * One {@code .safetensors} file, memory-mapped: tensors are views of the mapping in ggml shape order, tied weights
 * named in {@code __metadata__} appear under both names, and the metadata holds the {@code __metadata__} strings.
 */
public final class SafetensorsFile implements ModelFile {

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final Map<String, String> rawMetadata;
    private final Metadata metadata;
    private final List<TensorView> tensors;
    private final Map<String, TensorView> byName;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, SafetensorsParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.rawMetadata = Map.copyOf(header.metadata());
        this.metadata = metadata(path, header.metadata());
        Map<String, TensorView> named = new LinkedHashMap<>();
        for (TensorView t : header.tensors()) {
            named.put(t.name(), t);
        }
        TiedWeights.resolve(header.metadata(), named);
        this.byName = named;
        this.tensors = List.copyOf(new ArrayList<>(named.values()));
    }

    /** Maps and validates {@code path}. */
    public static SafetensorsFile open(Path path) throws ModelFormatException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = MappedFiles.map(path, arena);
            SafetensorsFile file = new SafetensorsFile(path, arena, mapping, new SafetensorsParser(path, mapping).parse());
            arena = null; // owned by the file now
            return file;
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    static Metadata metadata(Path path, Map<String, String> strings) {
        Map<String, MetadataValue> values = new LinkedHashMap<>();
        strings.forEach((k, v) -> values.put(k, MetadataValue.of(ValueType.STRING, v)));
        return new Metadata(path, values);
    }

    /** The {@code __metadata__} strings as stored. */
    Map<String, String> rawMetadata() {
        return rawMetadata;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "safetensors";
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
