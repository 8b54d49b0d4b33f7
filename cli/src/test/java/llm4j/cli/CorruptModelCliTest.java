package llm4j.cli;

import static llm4j.testdata.gguf.GgufValue.f32;
import static llm4j.testdata.gguf.GgufValue.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.GgufMutator;
import llm4j.testdata.fuzz.Mutation;
import llm4j.testdata.gguf.GgufEditor;
import llm4j.testdata.gguf.GgufLayout;
import llm4j.testdata.gguf.GgufValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when {@code llm4j run} is given a damaged or hostile model, a context too large
 * for memory, or odd flags and prompts: exit 1 (or 2 for usage) and one line on standard error
 * naming the file and the problem, never a stack trace, an "internal error" or partial output.
 */
class CorruptModelCliTest {

    private static final int SEEDED_MUTATIONS = 40;

    @TempDir
    Path dir;

    /** Hostile files of every family: each must be refused with exit 1 and one line naming it. */
    @Test
    void hostileModelsAreOneLineAndExitOne() throws IOException {
        byte[] original = Files.readAllBytes(SharedData.model("gguf/stories260K.gguf"));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("header-only.gguf", java.util.Arrays.copyOf(original, 24));
        files.put("no-tensor-data.gguf", java.util.Arrays.copyOf(original, (int) GgufLayout.of(original).dataStart()));
        files.put("zero-heads.gguf", edit(original, "llama.attention.head_count", u32(0)));
        files.put("nan-eps.gguf", edit(original, "llama.attention.layer_norm_rms_epsilon", f32(Float.NaN)));
        files.put("huge-blocks.gguf", edit(original, "llama.block_count", u32(Integer.MAX_VALUE)));
        files.put("bad-utf8.gguf", GgufEditor.of(original).set("general.name",
                GgufValue.stringBytes(new byte[] {(byte) 0xc3, 0x28})).toBytes());
        files.put("escape.gguf", GgufEditor.of(original).set("general.architecture",
                GgufValue.string("evil\n\u001b[2Jarch")).toBytes());
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path model = Files.write(dir.resolve(f.getKey()), f.getValue());
            CliRunner.Result r = CliRunner.run("run", model.toString(), "-p", "hi", "-n", "2");
            assertEquals(1, r.exitCode(), f.getKey() + ": " + r.err());
            assertEquals("", r.out(), f.getKey());
            assertOneLine(r.err(), model.toString());
        }
    }

    /** Seeded mutations of a real model: every run either generates (exit 0) or fails in one line. */
    @Test
    void mutatedModelsNeverCrashTheCli() throws IOException {
        byte[] original = Files.readAllBytes(SharedData.model("gguf/stories260K-Q8_0.gguf"));
        GgufMutator mutator = new GgufMutator(original);
        Path model = dir.resolve("mutated.gguf");
        int refused = 0;
        for (int i = 0; i < SEEDED_MUTATIONS; i++) {
            Mutation m = mutator.any(new Random(0x11ab + i));
            Files.write(model, m.bytes());
            CliRunner.Result r = CliRunner.run("run", model.toString(), "-p", "Once", "-n", "2", "-c", "16", "-t", "1");
            String what = "case " + i + " (" + m.description() + "): " + r.err();
            assertTrue(r.exitCode() == 0 || r.exitCode() == 1, what);
            if (r.exitCode() == 1) {
                refused++;
                assertEquals("", r.out(), what);
                assertOneLine(r.err(), model.toString());
            }
        }
        assertTrue(refused > SEEDED_MUTATIONS / 2, "most header mutations must be refused, only " + refused + " were");
    }

    /** A context whose KV cache cannot be allocated is refused up front, not an OutOfMemoryError. */
    @Test
    void aContextTooLargeForMemoryIsOneLine() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        // 2^30 positions overflow one cache array; 2^24 fit the arrays but need a 10 GiB cache
        for (String ctx : List.of("1073741824", "16777216")) {
            CliRunner.Result r = CliRunner.run("run", model, "-p", "hi", "-n", "1", "-c", ctx);
            assertEquals(1, r.exitCode(), ctx + ": " + r.err());
            // -c beyond the trained context is warned about first, on a line of its own
            String error = r.err().lines().filter(l -> !l.startsWith("llm4j: warning:")).reduce("", String::concat);
            assertOneLine(error, model);
            assertTrue(error.contains("-c"), "should point at -c: " + r.err());
        }
    }

    @Test
    void badFlagsAreUsageErrors() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        for (List<String> flags : List.of(List.of("-c", "-1"), List.of("-c", "99999999999"), List.of("-b", "0"),
                List.of("-n", "abc"), List.of("-t", "x"), List.of("--temp", "NaNx"), List.of("-n"))) {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("run", model, "-p", "hi"),
                    flags.stream()).toArray(String[]::new);
            CliRunner.Result r = CliRunner.run(args);
            assertEquals(2, r.exitCode(), flags + ": " + r.err());
            assertFalse(r.err().contains("\tat "), flags + ": " + r.err());
            assertTrue(r.err().startsWith("llm4j: "), flags + ": " + r.err());
        }
    }

    @Test
    void oddPromptsHaveDefinedOutcomes() throws IOException {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        Path invalid = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9, ' ', (byte) 0xff});
        CliRunner.Result r = CliRunner.run("run", model, "-f", invalid.toString(), "-n", "2", "--temp", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("not valid UTF-8"), r.err());

        CliRunner.Result empty = CliRunner.run("run", model, "-p", "", "-n", "2", "--temp", "0");
        assertEquals(0, empty.exitCode(), empty.err());

        CliRunner.Result missing = CliRunner.run("run", model, "-f", dir.resolve("nope.txt").toString());
        assertEquals(1, missing.exitCode());
        assertOneLine(missing.err(), "nope.txt");

        CliRunner.Result directory = CliRunner.run("run", model, "-f", dir.toString());
        assertEquals(1, directory.exitCode());
        assertOneLine(directory.err(), dir.toString());
    }

    /** A damaged --kl-divergence-base archive is a format error too: exit 1, one line naming it. */
    @Test
    void aCorruptKlDivergenceBaseIsOneLine() throws IOException {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        Path base = Files.write(dir.resolve("base.kld"), "LLM4JKLD and then nonsense".getBytes(StandardCharsets.UTF_8));
        CliRunner.Result r = CliRunner.run("perplexity", model, "--kl-divergence-base", base.toString(), "--kl-divergence");
        assertEquals(1, r.exitCode(), r.err());
        assertOneLine(r.err(), base.toString());
    }

    /** The real process: exit status 1 from main, and stderr is the one line (no JVM stack trace). */
    @Test
    void theProcessExitsOneWithOneLine() throws Exception {
        byte[] original = Files.readAllBytes(SharedData.model("gguf/stories260K.gguf"));
        Path model = Files.write(dir.resolve("cut.gguf"), java.util.Arrays.copyOf(original, original.length - 4096));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Llm4j.class.getName(),
                "run", model.toString(), "-p", "hi", "-n", "1")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "llm4j did not exit");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines().filter(l -> !l.contains("incubator modules")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(1, p.exitValue(), err);
        assertEquals("", out);
        assertOneLine(err, model.toString());
        assertTrue(err.contains("lies outside the file"), err);
    }

    private static byte[] edit(byte[] original, String key, GgufValue value) {
        return GgufEditor.of(original).set(key, value).toBytes();
    }

    private static void assertOneLine(String err, String mentions) {
        String line = err.strip();
        assertFalse(line.contains("\n"), "one line expected: " + err);
        assertTrue(line.startsWith("llm4j: "), err);
        assertTrue(line.contains(mentions), "should name " + mentions + ": " + err);
        assertFalse(line.contains("internal error"), err);
        assertFalse(line.contains("Exception") || line.contains("\tat "), "no stack trace: " + err);
    }
}
