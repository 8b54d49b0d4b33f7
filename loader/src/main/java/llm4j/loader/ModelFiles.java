package llm4j.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import llm4j.loader.gguf.GgufFile;
import llm4j.loader.safetensors.SafetensorsCheckpoint;
import llm4j.loader.safetensors.SafetensorsFile;
import llm4j.loader.smq.SmqFile;

/**
 * Opens a model of any supported format: a GGUF, SMQ or safetensors file recognised by its first bytes, or a
 * Hugging Face folder ({@code model.safetensors} or a sharded index).
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * Rejects pipes, sockets and devices before anything opens them: opening a FIFO for reading
     * blocks until someone writes to it, and a device can stream forever, so a model path such as
     * {@code /dev/stdin} or {@code /dev/zero} would otherwise hang or never end.
     */
    public static void requireRegularFile(Path path) throws ModelFormatException {
        if (!Files.exists(path)) {
            throw new ModelFormatException(path, -1, "no such file");
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException(path, -1, "is not a regular file (a pipe, socket or device cannot be a model)");
        }
    }

    public static ModelFile open(Path path) throws ModelFormatException {
        if (Files.isDirectory(path)) {
            if (SafetensorsCheckpoint.isCheckpoint(path)) {
                return SafetensorsCheckpoint.open(path);
            }
            throw new ModelFormatException(path, -1, "is a directory without " + SafetensorsCheckpoint.SINGLE
                    + " or " + SafetensorsCheckpoint.INDEX + ", not a model");
        }
        requireRegularFile(path);
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path, -1, "no such file");
        } catch (IOException e) {
            throw new ModelFormatException(path, -1, "cannot be read: " + e.getMessage(), e);
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            return GgufFile.open(path);
        }
        if (n >= 8 && new String(head, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("SMQv")) {
            return SmqFile.open(path);
        }
        if (n >= 9 && head[8] == '{') {
            // safetensors: an 8-byte little-endian header length, then the JSON header
            return SafetensorsFile.open(path);
        }
        if (n == 0) {
            throw new ModelFormatException(path, -1, "file is empty");
        }
        throw new ModelFormatException(path, 0, "unrecognised model format (expected GGUF, SMQ or safetensors)");
    }
}
