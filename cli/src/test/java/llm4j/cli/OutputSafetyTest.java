package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import llm4j.loader.AtomicFile;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command that writes a model file (quantize to GGUF and SMQ, convert to GGUF and SMQ, synth), chat's
 * {@code /save} and {@code --prompt-cache}: an unwritable target directory is one line on stderr and exit 1 (for the
 * prompt cache, whose saving is a side effect of a run, a one-line warning and exit 0), and a failure injected in the
 * middle of the write ({@link AtomicFile#FAIL_AFTER_BYTES}, as a full disk) leaves the previous file byte for byte
 * and no temporary file behind.
 */
class OutputSafetyTest {

    private static final String STORIES = SharedData.model("gguf/stories260K.gguf").toString();
    private static final String HF_FOLDER = SharedData.root().resolve("models/safetensors/story-llama-2L-128d").toString();

    @TempDir
    Path dir;

    /** A command line that writes its output to the path it is given. */
    record Writer(String name, Function<Path, String[]> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Writer> writers() {
        return Stream.of(
                new Writer("quantize gguf", out -> new String[] {"quantize", STORIES, out.toString(), "Q8_0"}),
                new Writer("quantize smq", out -> new String[] {"quantize", STORIES, out.toString(), "Q8_0", "--format", "smq"}),
                new Writer("convert gguf", out -> new String[] {"convert", HF_FOLDER, out.toString(), "--format", "gguf"}),
                new Writer("convert smq", out -> new String[] {"convert", HF_FOLDER, out.toString(), "--format", "smq"}),
                new Writer("synth", out -> new String[] {"synth", "tiny", "Q8_0", out.toString()}),
                new Writer("chat /save", out -> new String[] {"chat", STORIES, "-n", "2", "--temp", "0", "--chat-template", "chatml"}));
    }

    private static CliRunner.Result run(Writer w, Path out) {
        String[] args = w.args().apply(out);
        return w.name().equals("chat /save")
                ? CliRunner.runWithInput("Hello.\n/save " + out + "\n", args)
                : CliRunner.run(args);
    }

    /** A directory this process cannot create files in: a read-only folder, or (as root) sysfs. */
    private Path unwritableDirectory() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (!Files.isWritable(locked) && !canCreateIn(locked)) {
            return locked;
        }
        Path sys = Path.of("/sys");
        Assumptions.assumeTrue(Files.isDirectory(sys) && !canCreateIn(sys), "no unwritable directory available");
        return sys;
    }

    private static boolean canCreateIn(Path d) {
        try {
            Files.delete(Files.createTempFile(d, "probe", ".tmp"));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @ParameterizedTest
    @MethodSource("writers")
    void unwritableDirectoryIsOneLineAndExitOne(Writer w) throws IOException {
        Path out = unwritableDirectory().resolve("llm4j-out" + (w.name().endsWith("smq") ? ".smq" : ".gguf"));
        CliRunner.Result r = run(w, out);
        String error = r.err().lines().filter(l -> l.startsWith("llm4j: ") && !l.contains("warning")).findFirst().orElse("");
        if (w.name().equals("chat /save")) {
            // a failed /save is reported and the conversation goes on
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(error.contains("cannot save"), r.err());
        } else {
            assertEquals(1, r.exitCode(), w + ": " + r.err());
            // per-tensor warnings may come first; the failure itself is one line
            assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("llm4j: warning:")).count(), w + ": " + r.err());
        }
        assertTrue(error.contains(out.getParent().toString()), w + ": " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(out));
    }

    @ParameterizedTest
    @MethodSource("writers")
    void failureMidWriteKeepsThePreviousFileAndLeavesNoTemp(Writer w) throws IOException {
        Path out = dir.resolve(w.name().endsWith("smq") ? "out.smq" : "out.gguf");
        Files.writeString(out, "previous contents");
        // past the header of a model file; inside the few hundred bytes of a saved chat
        System.setProperty(AtomicFile.FAIL_AFTER_BYTES, w.name().equals("chat /save") ? "20" : "3000");
        CliRunner.Result r;
        try {
            r = run(w, out);
        } finally {
            System.clearProperty(AtomicFile.FAIL_AFTER_BYTES);
        }
        assertTrue(r.err().contains("injected fault"), w + ": " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        if (!w.name().equals("chat /save")) {
            assertEquals(1, r.exitCode(), w + ": " + r.err());
        }
        assertEquals("previous contents", Files.readString(out));
        assertEquals(List.of(out), listing());
    }

    @Test
    void promptCacheThatCannotBeSavedIsAWarning() throws IOException {
        Path cache = unwritableDirectory().resolve("llm4j-prompt.kvc");
        CliRunner.Result r = CliRunner.run("run", STORIES, "-p", "Once upon a time", "-n", "2", "--temp", "0",
                "--prompt-cache", cache.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("llm4j: warning: cannot save prompt cache"), r.err());
        assertFalse(Files.exists(cache));
    }

    @Test
    void promptCacheSavedTwiceReplacesTheFileAndLeavesNoTemp() throws IOException {
        Path cache = dir.resolve("prompt.kvc");
        for (String prompt : new String[] {"Once upon a time", "Once upon a time there was"}) {
            CliRunner.Result r = CliRunner.run("run", STORIES, "-p", prompt, "-n", "2", "--temp", "0", "--prompt-cache", cache.toString());
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(List.of(cache), listing());
        }
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
