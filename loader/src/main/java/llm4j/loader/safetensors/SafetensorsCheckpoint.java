package llm4j.loader.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;

/**
 * The weights of a Hugging Face model folder as one {@link ModelFile}: {@code model.safetensors}, or the shards
 * {@code model.safetensors.index.json} lists (each mapped once). Its path is the folder; config and tokenizer files
 * beside the weights are the model layer's business.
 */
public final class SafetensorsCheckpoint implements ModelFile {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    /** Largest index file read (real ones list a few thousand tensors in well under a megabyte). */
    static final long MAX_INDEX = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path dir;
    private final List<SafetensorsFile> shards;
    private final Metadata metadata;
    private final List<TensorView> tensors;
    private final Map<String, TensorView> byName;

    private SafetensorsCheckpoint(Path dir, List<SafetensorsFile> shards, Map<String, TensorView> byName,
                                  Map<String, String> metadata) {
        this.dir = dir;
        this.shards = List.copyOf(shards);
        this.byName = byName;
        this.tensors = List.copyOf(byName.values());
        this.metadata = SafetensorsFile.metadata(dir, metadata);
    }

    /** Whether {@code dir} holds safetensors weights under the standard names. */
    public static boolean isCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(SINGLE)) || Files.isRegularFile(dir.resolve(INDEX));
    }

    public static SafetensorsCheckpoint open(Path dir) throws ModelFormatException {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return sharded(dir, index);
        }
        if (Files.isRegularFile(dir.resolve(SINGLE))) {
            SafetensorsFile file = SafetensorsFile.open(dir.resolve(SINGLE));
            Map<String, TensorView> byName = new LinkedHashMap<>();
            file.tensors().forEach(t -> byName.put(t.name(), t));
            return new SafetensorsCheckpoint(dir, List.of(file), byName, file.rawMetadata());
        }
        throw new ModelFormatException(dir, -1, "no " + SINGLE + " or " + INDEX + " in this folder");
    }

    private static SafetensorsCheckpoint sharded(Path dir, Path index) throws ModelFormatException {
        Map<String, String> weightMap = weightMap(index);
        Map<String, SafetensorsFile> opened = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shard = e.getValue();
                if (opened.containsKey(shard)) {
                    continue;
                }
                Path shardPath;
                try {
                    shardPath = dir.resolve(shard);
                } catch (java.nio.file.InvalidPathException bad) {
                    throw new ModelFormatException(index, -1, "shard name for tensor '" + e.getKey() + "' is not a valid file name");
                }
                if (!Files.isRegularFile(shardPath)) {
                    throw new ModelFormatException(index, -1, "shard " + shard + " (listed for tensor '" + e.getKey()
                            + "') is missing from " + dir);
                }
                opened.put(shard, SafetensorsFile.open(shardPath));
            }
            Map<String, TensorView> byName = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (SafetensorsFile file : opened.values()) {
                metadata.putAll(file.rawMetadata());
                for (TensorView t : file.tensors()) {
                    if (byName.putIfAbsent(t.name(), t) != null) {
                        throw new ModelFormatException(file.path(), -1, "tensor '" + t.name() + "' is stored in more than one shard");
                    }
                }
            }
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                if (opened.get(e.getValue()).tensor(e.getKey()).isEmpty()) {
                    throw new ModelFormatException(index, -1, "tensor '" + e.getKey() + "' is listed in shard "
                            + e.getValue() + " but that shard does not hold it");
                }
            }
            TiedWeights.resolve(metadata, byName); // a shard may name a tensor another shard holds
            return new SafetensorsCheckpoint(dir, new ArrayList<>(opened.values()), byName, metadata);
        } catch (ModelFormatException | RuntimeException e) {
            opened.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> weightMap(Path index) throws ModelFormatException {
        JsonNode root;
        try {
            // real indexes are tens of kilobytes; a JSON tree costs several times its text in heap
            if (Files.size(index) > MAX_INDEX) {
                throw new ModelFormatException(index, -1, "is " + Files.size(index) + " bytes, more than an index can need ("
                        + MAX_INDEX + ")");
            }
            root = JSON.readTree(index.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(index, -1, "is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(index, -1, "cannot be read: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(index, -1, "has no weight_map");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String shard = e.getValue().asText("");
            // a shard is a file beside the index, never a path that could lead elsewhere
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
                    || shard.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new ModelFormatException(index, -1, "weight_map entry for '" + e.getKey() + "' is not a shard file name: " + e.getValue());
            }
            out.put(e.getKey(), shard);
        }
        return out;
    }

    /** The mapped shard files, in index order. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    @Override
    public Path path() {
        return dir;
    }

    @Override
    public String format() {
        return "safetensors";
    }

    @Override
    public long fileSize() {
        return shards.stream().mapToLong(SafetensorsFile::fileSize).sum();
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
        shards.forEach(SafetensorsFile::close);
    }
}
