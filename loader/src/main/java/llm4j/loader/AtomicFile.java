package llm4j.loader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
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
 * kill can leave a {@code .<name>.<random>.tmp} file behind, never a half-written target, and the next write of
 * the same target deletes it (the writer's lock on the temp file tells a dead write from a live one).
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

    /**
     * Test-only fault injection: with this system property set to N, {@link #writeFully} throws an IOException once
     * a write has passed N bytes, as a full disk would. Tests set it to prove that a failure in the middle of any
     * writer leaves the previous file intact and no temporary file behind; nothing sets it otherwise.
     */
    public static final String FAIL_AFTER_BYTES = "llm4j.test.atomic-file.fail-after-bytes";

    /** Bytes written so far by the write running on this thread (for {@link #FAIL_AFTER_BYTES}). */
    private static final ThreadLocal<long[]> WRITTEN = ThreadLocal.withInitial(() -> new long[1]);

    private static final String TEMP_SUFFIX = ".tmp";

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
        String prefix = "." + absolute.getFileName() + ".";
        removeStaleTemps(dir, prefix);
        Path temp = dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        IN_PROGRESS.add(temp);
        WRITTEN.get()[0] = 0;
        try {
            // the lock marks the temp file as live until it is renamed; the OS drops it when the process dies
            try (FileChannel ch = createTemp(target, dir, temp); FileLock live = lockOrNull(ch)) {
                body.write(ch);
                ch.force(true);
                keepPermissions(absolute, temp);
                try {
                    Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot replace " + target + " atomically on this filesystem", e);
                }
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
        String failAfter = System.getProperty(FAIL_AFTER_BYTES);
        if (failAfter != null) {
            long[] written = WRITTEN.get();
            written[0] += buffer.remaining();
            if (written[0] > Long.parseLong(failAfter)) {
                throw new IOException("injected fault: the disk filled up after " + failAfter + " bytes");
            }
        }
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /**
     * Deletes temporary files that killed writes of the same target left behind ({@code .NAME.HEX.tmp}; a SIGKILL
     * runs no shutdown hook). A temp file whose lock can be taken has no live writer: writers hold an exclusive lock
     * on theirs until the rename, and the OS releases it when the process dies. One held by another process, or by
     * this JVM, is left alone.
     */
    static void removeStaleTemps(Path dir, String prefix) {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, p -> isTempName(p.getFileName().toString(), prefix))) {
            for (Path stale : temps) {
                try (FileChannel ch = FileChannel.open(stale, StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
                    if (lock != null) {
                        Files.deleteIfExists(stale);
                    }
                } catch (OverlappingFileLockException | IOException e) {
                    // written by this JVM right now, vanished, or not ours to delete: leave it
                }
            }
        } catch (IOException e) {
            // cleaning up is a courtesy; the write itself does not depend on it
        }
    }

    /** An exclusive lock on the new temp file, or null on a filesystem without locks (then it is never cleaned). */
    private static FileLock lockOrNull(FileChannel ch) {
        try {
            return ch.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            return null;
        }
    }

    /** {@code prefix} + 1 to 16 hex digits + ".tmp": the names {@link #write} gives its temporary files. */
    static boolean isTempName(String name, String prefix) {
        if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX) || name.length() <= prefix.length() + TEMP_SUFFIX.length()) {
            return false;
        }
        String hex = name.substring(prefix.length(), name.length() - TEMP_SUFFIX.length());
        return !hex.isEmpty() && hex.length() <= 16 && hex.chars().allMatch(c -> Character.digit(c, 16) >= 0);
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
