package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/** serve's flags: bad values are one-line usage errors before anything listens. */
class ServeCommandTest {

    static final String MODEL = SharedData.model("gguf/stories260K.gguf").toString();

    static void assertUsage(String expected, String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void badFlagsAreUsageErrors() {
        assertUsage("--parallel", "serve", MODEL, "--parallel", "0");
        assertUsage("--queue", "serve", MODEL, "--queue", "-1");
        assertUsage("--port", "serve", MODEL, "--port", "70000");
        assertUsage("--cache-ttl", "serve", MODEL, "--cache-ttl", "soon");
        assertUsage("--max-body", "serve", MODEL, "--max-body", "lots");
        assertUsage("slots", "serve", MODEL, "--parallel", "64", "--kv-mem-cap", "256K");
    }

    @Test
    void slotsAndAPrefixCacheBeyondTheHeapFailBeforeListening() {
        CliRunner.Result r = CliRunner.run("serve", MODEL, "--port", "0", "--cache-mem-cap", "1T");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("--cache-mem-cap"), r.err());
        r = CliRunner.run("serve", MODEL, "--port", "0", "--parallel", "200000", "-c", "2048");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("200000 slots need"), r.err());
    }

    @Test
    void durationsTakeAUnit() {
        assertEquals(Duration.ofSeconds(90), ServeCommand.duration("--x", "90s"));
        assertEquals(Duration.ofMinutes(30), ServeCommand.duration("--x", "30m"));
        assertEquals(Duration.ofHours(1), ServeCommand.duration("--x", "1h"));
        assertEquals(Duration.ofMillis(250), ServeCommand.duration("--x", "250ms"));
        assertEquals(Duration.ofSeconds(5), ServeCommand.duration("--x", "5"));
    }

    @Test
    void theModelIsNamedAfterItsFile() {
        assertEquals("stories260K", ServeCommand.modelName(java.nio.file.Path.of("/a/stories260K.gguf")));
    }
}
