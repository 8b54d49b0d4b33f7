package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;

/**
 * What a fuzz case does with a damaged file: open it and, when that works, use everything the
 * loader hands out (every metadata getter on every key, the first and last byte of every tensor),
 * because a loader that accepts a file must hand out only values and views that are safe to use.
 */
final class OpenProbe {

    private OpenProbe() {
    }

    /** Writes {@code bytes} to {@code file} and returns the case body that opens and probes it. */
    static Callable<Void> openAndProbe(Path file, byte[] bytes) {
        write(file, bytes);
        return openThenProbe(file);
    }

    /**
     * As {@link #openAndProbe} for a file that already holds a same-length version of {@code bytes}
     * differing only in its first {@code prefix} bytes: rewriting the prefix alone keeps thousands of
     * cases over megabyte models from turning into gigabytes of disk writes.
     */
    static Callable<Void> patchAndProbe(Path file, byte[] bytes, int prefix) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes, 0, prefix), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return openThenProbe(file);
    }

    /** Cuts {@code file} (longer than {@code length}) to its first {@code length} bytes and probes it. */
    static Callable<Void> truncateAndProbe(Path file, long length) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return openThenProbe(file);
    }

    static Callable<Void> openThenProbe(Path file) {
        return () -> {
            try (ModelFile model = ModelFiles.open(file)) {
                probe(model);
            }
            return null;
        };
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void probe(ModelFile model) {
        Metadata md = model.metadata();
        for (String key : md.keys()) {
            callEveryGetter(md, key);
        }
        for (TensorView t : model.tensors()) {
            assertTrue(t.byteSize() > 0, t.name());
            assertTrue(t.offset() >= 0 && t.offset() + t.byteSize() <= model.fileSize(), t.name());
            t.data().get(ValueLayout.JAVA_BYTE, 0);
            t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            t.elementCount();
            t.rows();
        }
    }

    /** Each getter either returns or raises ModelFormatException; nothing else may escape. */
    static void callEveryGetter(Metadata md, String key) {
        ThrowingGetter[] getters = {md::getString, md::getLong, md::getInt, md::getFloat,
            k -> md.getBool(k, false), md::getStringArray, md::getFloatArray, md::getIntArray};
        for (ThrowingGetter g : getters) {
            try {
                g.get(key);
            } catch (ModelFormatException e) {
                assertOneLine(e, md.file());
            }
        }
        md.get(key).orElseThrow().typeLabel();
        md.get(key).orElseThrow().length();
    }

    @FunctionalInterface
    private interface ThrowingGetter {
        Object get(String key) throws ModelFormatException;
    }

    /** The error the CLI prints: one line that names the file and says what is wrong. */
    static void assertOneLine(ModelFormatException e, Path file) {
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), "multi-line message: " + message);
        assertTrue(message.startsWith(file.toString()), "message does not name " + file + ": " + message);
        assertFalse(e.problem().isBlank(), "message says nothing: " + message);
        assertEquals(file, e.file());
    }
}
