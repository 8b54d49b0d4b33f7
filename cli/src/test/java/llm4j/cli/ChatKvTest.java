package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat's KV cache: the KV flags, /kv, /save and /load of the quantized state, Ctrl-C on a pipe. */
class ChatKvTest {

    private static final String STORIES = SharedData.model("gguf/stories260K.gguf").toString();

    private static CliRunner.Result chat(String input, String model, String... extra) {
        return chatN(input, model, 12, extra);
    }

    private static CliRunner.Result chatN(String input, String model, int n, String... extra) {
        List<String> args = new ArrayList<>(List.of("chat", model, "-n", Integer.toString(n), "-c", "512", "--temp", "0", "-t", "2",
                "--kv-quant", "q8_0"));
        args.addAll(List.of(extra));
        return CliRunner.runWithInput(input, args.toArray(String[]::new));
    }

    @Test
    void saveThenLoadInANewProcessContinuesAsIfNeverSaved(@TempDir Path dir) throws Exception {
        Path model = ChatCommandTest.withTemplate(dir, ChatCommandTest.TEMPLATE);
        Path saved = dir.resolve("chat.kv");
        CliRunner.Result straight = chat("Tell me a story.\nWhat happened next?\nAnd then?\n/stats\n", model.toString());
        assertEquals(0, straight.exitCode(), straight.err());

        CliRunner.Result before = chat("Tell me a story.\nWhat happened next?\n/save " + saved + "\n", model.toString());
        assertEquals(0, before.exitCode(), before.err());
        Matcher m = Pattern.compile("saved 4 message\\(s\\) and (\\d+) KV position\\(s\\)").matcher(before.err());
        assertTrue(m.find(), before.err());
        int positions = Integer.parseInt(m.group(1));

        CliRunner.Result after = chat("/load " + saved + "\nAnd then?\n/stats\n", model.toString());
        assertEquals(0, after.exitCode(), after.err());
        assertTrue(after.err().contains("loaded 4 message(s) and " + positions + " KV position(s)"), after.err());
        String straightReplies = straight.out().substring(0, straight.out().indexOf("last turn:"));
        String reply = after.out().substring(0, after.out().indexOf("last turn:"));
        assertEquals(straightReplies, before.out() + reply, "the same replies as a chat that never saved");
        // the third turn prefilled only its own tokens, as in the chat that never saved: the rest came from the file
        String lastTurn = "last turn: +(\\d+) prompt token\\(s\\) evaluated \\((\\d+) reused";
        Matcher stats = Pattern.compile(lastTurn).matcher(after.out());
        Matcher straightStats = Pattern.compile(lastTurn).matcher(straight.out());
        assertTrue(stats.find() && straightStats.find(), after.out());
        assertEquals(positions, Integer.parseInt(stats.group(2)), after.out());
        assertEquals(straightStats.group(0), stats.group(0));
    }

    @Test
    void aFileFromAnotherModelIsRefusedAndTheChatGoesOn(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("chat.kv");
        assertEquals(0, chat("Once upon a time\n/save " + saved + "\n", STORIES).exitCode());
        byte[] good = Files.readAllBytes(saved);

        String other = SharedData.model("gguf/stories260K-F16.gguf").toString();
        CliRunner.Result r = chat("/load " + saved + "\nThe dog\n/stats\n", other);
        assertEquals(0, r.exitCode(), r.err());
        List<String> refusals = r.err().lines().filter(l -> l.contains("not loading")).toList();
        assertEquals(1, refusals.size(), r.err());
        assertTrue(refusals.getFirst().contains("another model"), r.err());
        assertTrue(r.out().contains("session:              1 turn(s)"), "the chat went on: " + r.out());

        // a damaged file: one line, the session goes on, the file is left as it was
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(saved, bad);
        CliRunner.Result damaged = chat("/load " + saved + "\nThe dog\n/stats\n", STORIES);
        assertEquals(0, damaged.exitCode(), damaged.err());
        List<String> errors = damaged.err().lines().filter(l -> l.contains("cannot load")).toList();
        assertEquals(1, errors.size(), damaged.err());
        assertTrue(errors.getFirst().contains("checksum"), damaged.err());
        assertFalse(damaged.err().contains("Exception"), damaged.err());
        assertTrue(damaged.out().contains("session:              1 turn(s)"), damaged.out());
    }

    @Test
    void kvShowsTypesCapAndLadderState() {
        CliRunner.Result r = chatN("Once upon a time\n/kv\n", STORIES, 400, "--kv-mem-cap", "120K", "--kv-keep-recent", "64");
        assertEquals(0, r.exitCode(), r.err());
        String kv = r.out().substring(r.out().indexOf("types:"));
        assertTrue(kv.contains("types:     K q8_0, V q8_0"), kv);
        assertTrue(kv.contains("cap:       0.12 MiB (122880 bytes), ladder q8_0 > q4_0"), kv);
        Matcher ladder = Pattern.compile("ladder:    layers? 0\\S* positions q8_0=(\\d+) q4_0=(\\d+)").matcher(kv);
        assertTrue(ladder.find(), kv);
        assertTrue(Integer.parseInt(ladder.group(2)) > 0, "older positions stepped down to q4_0: " + kv);
        Matcher changes = Pattern.compile("changes:   (\\d+) requantization\\(s\\).*(\\d+) eviction\\(s\\)").matcher(kv);
        assertTrue(changes.find(), kv);
        assertTrue(Integer.parseInt(changes.group(1)) > 0, kv);
        assertEquals("0", changes.group(2), kv);
    }

    @Test
    void ctrlCOnAPipeEndsTheProgramWithExitCode130() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Llm4j.class.getName(),
                "chat", STORIES, "-n", "-1", "-c", "2048", "-t", "1"));
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write("Once upon a time\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            InputStream stdout = p.getInputStream();
            assertTrue(stdout.read() >= 0, "the reply started"); // then stdin stays open: the chat waits for more
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the chat ended on SIGINT");
            assertEquals(130, p.exitValue());
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertFalse(err.contains("Exception"), err);
        } finally {
            p.destroyForcibly();
        }
    }
}
