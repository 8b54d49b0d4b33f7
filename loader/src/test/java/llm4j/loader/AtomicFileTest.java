package llm4j.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

    @TempDir
    Path dir;

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writesNewFileAndLeavesNothingElse() throws IOException {
        Path target = dir.resolve("out.bin");
        AtomicFile.write(target, "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals("hello", Files.readString(target));
        assertEquals(List.of(target), files());
    }

    @Test
    void replacesExistingFile() throws IOException {
        Path target = dir.resolve("out.bin");
        Files.writeString(target, "old content that is longer");
        AtomicFile.write(target, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertEquals(List.of(target), files());
    }

    @Test
    void replacedFileKeepsItsPermissions() throws IOException {
        Path target = dir.resolve("chat.json");
        Files.writeString(target, "{}");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        AtomicFile.write(target, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void symbolicLinkIsFollowed() throws IOException {
        Path real = Files.writeString(Files.createDirectory(dir.resolve("data")).resolve("model.gguf"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.gguf"), real);
        AtomicFile.write(link, "new".getBytes(StandardCharsets.UTF_8));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
    }

    @Test
    void exceptionMidWriteKeepsOldFileAndRemovesTemp() throws IOException {
        Path target = dir.resolve("model.gguf");
        Files.writeString(target, "previous");
        IOException boom = new IOException("disk on fire");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFile.write(target, ch -> {
            AtomicFile.writeFully(ch, ByteBuffer.wrap(new byte[1 << 20]));
            throw boom;
        }));
        assertSame(boom, thrown);
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of(target), files());
    }

    @Test
    void runtimeExceptionMidWriteOfNewFileLeavesNoFile() throws IOException {
        Path target = dir.resolve("new.gguf");
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, ch -> {
            AtomicFile.writeFully(ch, ByteBuffer.wrap(new byte[100]));
            throw new IllegalStateException("bug");
        }));
        assertEquals(List.of(), files());
    }

    @Test
    void missingDirectoryIsNamed() {
        Path target = dir.resolve("no/such/dir/out.gguf");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, new byte[1]));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("no/such/dir").toString()), e.getMessage());
    }

    @Test
    void parentThatIsAFileIsNamed() throws IOException {
        Path file = dir.resolve("plain");
        Files.writeString(file, "x");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file.resolve("out.gguf"), new byte[1]));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void targetThatIsADirectoryIsRefused() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(sub, new byte[1]));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(sub));
    }

    @Test
    void unwritableDirectoryGivesClearMessage() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path target = locked;
            if (canCreateIn(locked)) {
                // running as root: permission bits do not bind, but sysfs refuses new files even to root
                target = Path.of("/sys");
                Assumptions.assumeTrue(Files.isDirectory(target) && !canCreateIn(target), "no unwritable directory available");
            }
            Path out = target.resolve("out.gguf");
            IOException e = assertThrows(IOException.class, () -> AtomicFile.write(out, new byte[1]));
            assertTrue(e.getMessage().contains("not writable"), e.getMessage());
            assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
            assertFalse(Files.exists(out));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static boolean canCreateIn(Path d) {
        try {
            Path probe = Files.createFile(d.resolve(".probe"));
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A JVM stopped by SIGTERM in the middle of a write: the old file survives and the temp file is gone. */
    @Test
    void killedProcessKeepsOldFileAndCleansUp() throws Exception {
        Path target = dir.resolve("model.gguf");
        Files.writeString(target, "previous");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SlowWriter.class.getName(), target.toString())
                .redirectErrorStream(true)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("writing", out.readLine());
            assertEquals(2, files().size(), "the temp file exists while writing: " + files());
            p.destroy(); // SIGTERM: shutdown hooks run, as on Ctrl-C
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of(target), files());
    }

    /**
     * SIGKILL runs no shutdown hook, so a killed write leaves its temp file; the next write of the same target
     * deletes it, while the temp file of a write still running in another process is left alone.
     */
    @Test
    void tempFileOfAKilledWriteIsRemovedByTheNextWriteButALiveOneIsNot() throws Exception {
        Path target = dir.resolve("model.gguf");
        Files.writeString(target, "previous");
        Process killed = startSlowWriter(target);
        killed.destroyForcibly();
        assertTrue(killed.waitFor(20, TimeUnit.SECONDS));
        assertEquals(2, files().size(), "SIGKILL leaves the temp file: " + files());
        assertEquals("previous", Files.readString(target));
        Path other = dir.resolve("other.gguf");
        Process live = startSlowWriter(other);
        try {
            AtomicFile.write(target, "next".getBytes(StandardCharsets.UTF_8));
            AtomicFile.write(other.resolveSibling("third.gguf"), new byte[1]);
            assertEquals("next", Files.readString(target));
            List<Path> left = files();
            assertEquals(3, left.size(), "only the live writer's temp file may remain: " + left);
            assertTrue(left.stream().anyMatch(p -> AtomicFile.isTempName(p.getFileName().toString(), ".other.gguf.")), left.toString());
            AtomicFile.removeStaleTemps(dir, ".other.gguf."); // its writer holds the lock: still there
            assertEquals(left, files());
        } finally {
            live.destroyForcibly();
            live.waitFor(20, TimeUnit.SECONDS);
        }
        assertTrue(AtomicFile.isTempName(".a.gguf.0123abcdef.tmp", ".a.gguf."));
        assertFalse(AtomicFile.isTempName(".a.gguf.notes.tmp", ".a.gguf."));
        assertFalse(AtomicFile.isTempName(".a.gguf.tmp", ".a.gguf."));
    }

    /** A child JVM in the middle of writing {@code target}, once it has said so. */
    private static Process startSlowWriter(Path target) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SlowWriter.class.getName(), target.toString())
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("writing", out.readLine());
        return p;
    }

    /** Child process for the test above: starts a write and never finishes it. */
    public static final class SlowWriter {
        public static void main(String[] args) throws Exception {
            AtomicFile.write(Path.of(args[0]), ch -> {
                AtomicFile.writeFully(ch, ByteBuffer.wrap(new byte[4096]));
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
