package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What every command shares: help with examples, version, suggestions, exit codes, colour rules, config defaults. */
class CliPolishTest {

    @Test
    void aLaunchBuildsOnlyTheCommandItRuns() {
        assertEquals(java.util.Set.of("run"), Llm4j.commandLine(new String[] {"--debug", "run", "m.gguf", "-p", "x"})
                .getSubcommands().keySet());
        assertEquals(Llm4j.commandLine().getSubcommands().keySet(),
                Llm4j.commandLine(new String[] {"--help"}).getSubcommands().keySet());
        assertTrue(Llm4j.commandLine(new String[] {"help", "run"}).getSubcommands().size() > 5);
        // flags inherited from the root still reach the one registered command
        CliRunner.Result r = CliRunner.run("--debug", "inspect", "--help");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("--debug"));
        CliRunner.Result bare = CliRunner.run();
        assertEquals(0, bare.exitCode(), bare.err());
        for (String command : Llm4j.commandLine().getSubcommands().keySet()) {
            assertTrue(bare.out().contains("  " + command + " "), "llm4j alone lists " + command + ":\n" + bare.out());
        }
        CliRunner.Result typo = CliRunner.run("rnu", "m.gguf");
        assertEquals(Llm4j.EXIT_USAGE, typo.exitCode());
        assertTrue(typo.err().contains("Did you mean: run?"), typo.err());
    }

    @Test
    void everyCommandHasHelpWithAnExample() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream picocliWarnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(picocliWarnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String name : Llm4j.commandLine().getSubcommands().keySet()) {
                if (name.equals("help")) {
                    continue;
                }
                CliRunner.Result r = CliRunner.run(name, "--help");
                assertEquals(0, r.exitCode(), name + ": " + r.err());
                assertTrue(r.out().contains("Example"), name + " --help shows an example");
                assertTrue(r.out().contains("llm4j " + name), name + " example uses the command");
            }
        } finally {
            System.setErr(stderr);
        }
        // picocli reports a help text it cannot format (a stray % in a description) on System.err
        assertEquals("", picocliWarnings.toString(java.nio.charset.StandardCharsets.UTF_8));
        CliRunner.Result root = CliRunner.run("--help");
        assertTrue(root.out().contains("Exit codes: 0 success, 1 runtime failure"), root.out());
        CliRunner.Result version = CliRunner.run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("llm4j "), version.out());
    }

    @Test
    void unknownCommandsAndFlagsSuggestTheClosest() {
        CliRunner.Result command = CliRunner.run("chta");
        assertEquals(2, command.exitCode());
        assertTrue(command.err().contains("chat"), command.err());
        CliRunner.Result flag = CliRunner.run("quantize", "in.gguf", "out.gguf", "Q8_0", "--puer");
        assertEquals(2, flag.exitCode());
        assertTrue(flag.err().contains("--pure"), flag.err());
        CliRunner.Result inspect = CliRunner.run("inspect", SharedData.model("gguf/stories260K.gguf").toString(), "--dmp");
        assertEquals(2, inspect.exitCode());
        assertTrue(inspect.err().contains("--dump"), inspect.err());
    }

    @Test
    void colourOnlyOnATerminalAndNeverWithNoColor() {
        assertTrue(Style.of(true, null).enabled());
        assertTrue(Style.of(true, "").enabled());
        assertFalse(Style.of(true, "1").enabled());
        assertFalse(Style.of(false, null).enabled());
        assertEquals("x", Style.of(false, null).bold("x"));
        // the tests' output is captured, not a terminal: no escape codes anywhere
        CliRunner.Result r = CliRunner.run("inspect", SharedData.model("gguf/stories260K.gguf").toString());
        assertFalse(r.out().contains("\u001b["), "no ANSI codes when stdout is not a terminal");
    }

    @Test
    void configFileSetsDefaultsThatFlagsOverride(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("config"), "temp = 0\nrun.n-predict = 5\nchat.n-predict = 7\nctx-size = 128\n");
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result greedy5 = runWithConfig(config, "run", model, "-p", "Once upon a time");
        CliRunner.Result explicit = CliRunner.run("run", model, "-p", "Once upon a time", "--temp", "0", "-n", "5", "-c", "128");
        assertEquals(0, greedy5.exitCode(), greedy5.err());
        assertEquals(explicit.out(), greedy5.out(), "config gives --temp 0 -n 5 -c 128");
        CliRunner.Result overridden = runWithConfig(config, "run", model, "-p", "Once upon a time", "-n", "2");
        assertTrue(overridden.out().length() < greedy5.out().length(), "a flag beats the config");
    }

    private static CliRunner.Result runWithConfig(Path config, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Llm4j.commandLine();
        cli.setDefaultValueProvider(new ConfigDefaults(config));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return new CliRunner.Result(cli.execute(args), out.toString(), err.toString());
    }
}
