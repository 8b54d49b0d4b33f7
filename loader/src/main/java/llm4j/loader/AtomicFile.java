package llm4j.loader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers only ever see the old content or the complete new content: the
 * body writes a temporary file beside the target (same directory, so the same filesystem), which is
 * forced to disk and then renamed over the target in one atomic step. If the body throws, or the
 * process is interrupted, the old file is untouched and the temporary file is removed; only a hard
 * kill can leave a {@code .<name>.<random>.tmp} file behind, never a half-written target.
 *
 * <pre>{@code
 * AtomicFile.write(path, ch -> ch.write(buffer));
 * }</pre>
 */
public final class AtomicFile {

    /** Writes the new content; the channel is positioned at 0 of an empty file. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel channel) throws IOException;
    }

    /** Temporary files of writes in progress, deleted by a shutdown hook if the JVM exits (Ctrl-C) mid-write. */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AtomicFile::deleteInProgress, "llm4j-atomic-file-cleanup"));
    }

    private AtomicFile() {
    }

    /** Replaces {@code target} with what {@code body} writes, atomically. */
    public static void write(Path target, Body body) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(absolute) && Files.exists(absolute)) {
            absolute = absolute.toRealPath();  // replace the file the link points to, not the link
        }
        Path dir = absolute.getParent();
        checkDirectory(target, dir);
        if (Files.isDirectory(absolute)) {
            throw new IOException("cannot write " + target + ": it is a directory");
        }
        Path temp = dir.resolve("." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        IN_PROGRESS.add(temp);
        try {
            try (FileChannel ch = createTemp(target, dir, temp)) {
                body.write(ch);
                ch.force(true);
            }
            keepPermissions(absolute, temp);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + target + " atomically on this filesystem", e);
            }
            syncDirectory(dir);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            IN_PROGRESS.remove(temp);
        }
    }

    /** Replaces {@code target} with {@code bytes}, atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** Writes all remaining bytes of {@code buffer} (a channel may write fewer per call). */
    public static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /** CREATE_NEW rather than createTempFile, so the result gets the usual permissions (umask), not 0600. */
    private static FileChannel createTemp(Path target, Path dir, Path temp) throws IOException {
        try {
            return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot write " + target + ": directory " + dir + " is not writable", e);
        }
    }

    private static void checkDirectory(Path target, Path dir) throws IOException {
        if (dir == null) {
            throw new IOException("cannot write " + target + ": it has no parent directory");
        }
        if (!Files.exists(dir)) {
            throw new IOException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": " + dir + " is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new IOException("cannot write " + target + ": directory " + dir + " is not writable");
        }
    }

    /** A replaced file keeps its permissions (a private 0600 file must not become world-readable). */
    private static void keepPermissions(Path target, Path temp) throws IOException {
        if (Files.exists(target) && Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
        }
    }

    /** Makes the rename itself durable; not every platform lets a directory be opened, so failure is ignored. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the data is safe; only the rename may be lost on power failure
        }
    }

    private static void deleteInProgress() {
        for (Path p : IN_PROGRESS) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // best effort while the JVM is exiting
            }
        }
    }
}
