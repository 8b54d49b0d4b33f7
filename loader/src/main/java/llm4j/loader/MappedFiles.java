package llm4j.loader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Read-only memory mappings of whole model files, with their failures as {@link ModelFormatException}s. */
public final class MappedFiles {

    private MappedFiles() {
    }

    /** Maps all of {@code path} into {@code arena}; an empty file, a folder or an unreadable file is an error. */
    public static MemorySegment map(Path path, Arena arena) throws ModelFormatException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new ModelFormatException(path, -1, "file is empty");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path, -1, "no such file");
        } catch (IOException e) {
            String why = Files.isDirectory(path) ? "is a directory" : "cannot be read: " + e.getMessage();
            throw new ModelFormatException(path, -1, why, e);
        }
    }
}
