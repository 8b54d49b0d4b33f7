package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llm4j quantize} killed with SIGKILL in the middle of writing (a real child JVM, stopped once its temporary
 * file holds a few megabytes): the target is not created, or keeps its previous content, and the temporary file the
 * kill left behind ({@code .q.gguf.HEX.tmp}) is removed by the next write of the same target. The input is a
 * synthetic SmolLM2-135M in F16 (258 MiB), which takes seconds to quantize to Q4_K_M.
 */
class QuantizeKillTest {

    @TempDir
    Path dir;

    @Test
    void sigkillMidWriteLeavesNoOutputAndThePreviousFileIntact() throws Exception {
        Path in = dir.resolve("smollm2.gguf");
        CliRunner.Result synth = CliRunner.run("synth", "smollm2-135m", "F16", in.toString());
        assertEquals(0, synth.exitCode(), synth.err());
        Path out = dir.resolve("q.gguf");

        Path firstTemp = killMidWrite(in, out);
        assertFalse(Files.exists(out), "a killed quantize created " + out);
        assertTrue(Files.exists(firstTemp), "SIGKILL runs no cleanup, the temp file stays: " + listing());

        Files.writeString(out, "previous");
        Path secondTemp = killMidWrite(in, out);
        assertEquals("previous", Files.readString(out));
        // the second run removed the first run's temp file when it began writing
        assertEquals(List.of(in, secondTemp, out).stream().sorted().toList(), listing());
    }

    /** Starts quantize in a child JVM, SIGKILLs it once its temp file has grown, and returns that temp file. */
    private Path killMidWrite(Path in, Path out) throws Exception {
        List<Path> before = listing();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the test JVM's flags (incubator module, native access, shared.dir), not its agents or heap
            if (!arg.startsWith("-javaagent") && !arg.startsWith("-agentlib") && !arg.startsWith("-Xmx")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), Llm4j.class.getName(),
                "quantize", in.toString(), out.toString(), "Q4_K_M", "-t", "1"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && p.isAlive()) {
                Optional<Path> temp = newTemp(out, before);
                if (temp.isPresent() && Files.size(temp.get()) > (4 << 20)) {
                    p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                    return temp.get();
                }
                Thread.sleep(10);
            }
            throw new AssertionError("quantize " + (p.isAlive() ? "never wrote" : "exited with " + p.exitValue()
                    + " before it could be killed") + "; files: " + listing());
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Optional<Path> newTemp(Path out, List<Path> before) throws IOException {
        String prefix = "." + out.getFileName() + ".";
        return listing().stream()
                .filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(".tmp"))
                .filter(f -> !before.contains(f))
                .findFirst();
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
