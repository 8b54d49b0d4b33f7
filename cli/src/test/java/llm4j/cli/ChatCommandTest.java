package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.gguf.GgufWriter;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat with piped input: what a script sees on standard output. */
class ChatCommandTest {

    /** A plain-text template: stories260K has no special tokens, so the markers are ordinary words. */
    static final String TEMPLATE = "{% for m in messages %}{{ m['role'] }}:{{ m['content'] }}\n{% endfor %}"
            + "{% if add_generation_prompt %}assistant:{% endif %}";

    static Path withTemplate(Path dir, String template) throws Exception {
        Path out = dir.resolve("stories-chat.gguf");
        try (ModelFile in = ModelFiles.open(SharedData.model("gguf/stories260K.gguf"))) {
            GgufWriter w = GgufWriter.copyOf(in);
            w.putString("tokenizer.chat_template", template);
            w.write(out);
        }
        return out;
    }

    @Test
    void scriptedChatWithoutTemplateContinuesLikeRun() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result run = CliRunner.run("run", model, "-p", "Once upon a time", "-n", "48", "-c", "256", "--temp", "0", "-t", "2");
        CliRunner.Result chat = CliRunner.runWithInput("Once upon a time\n/stats\n/exit\n",
                "chat", model, "-n", "48", "-c", "256", "--temp", "0", "-t", "2");
        assertEquals(0, chat.exitCode(), chat.err());
        assertTrue(chat.out().startsWith(run.out() + "\n"), "continuation equals run's:\n" + chat.out() + "\nvs\n" + run.out());
        String stats = chat.out().substring(run.out().length() + 1);
        assertTrue(stats.contains("context:              52 / 256 tokens"), stats);
        assertTrue(stats.contains("48 generated"), stats);
        assertTrue(chat.err().contains("no chat template"), chat.err());
    }

    @Test
    void laterTurnsPrefillOnlyTheNewTokens(@TempDir Path dir) throws Exception {
        Path model = withTemplate(dir, TEMPLATE);
        Path saved = dir.resolve("chat.json");
        CliRunner.Result r = CliRunner.runWithInput("Tell me a story.\n/stats\nWhat happened next?\n/stats\n/save " + saved + "\n",
                "chat", model.toString(), "-n", "12", "-c", "512", "--temp", "0", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.err().contains("no chat template"), r.err());
        Matcher m = Pattern.compile("last turn: +(\\d+) prompt token\\(s\\) evaluated \\((\\d+) reused").matcher(r.out());
        assertTrue(m.find(), r.out());
        int firstPrompt = Integer.parseInt(m.group(1));
        assertEquals(0, Integer.parseInt(m.group(2)));
        assertTrue(m.find(), r.out());
        int secondPrompt = Integer.parseInt(m.group(1));
        int reused = Integer.parseInt(m.group(2));
        // the second turn reuses the first prompt and the reply (12 tokens, one of them not yet fed)
        assertEquals(firstPrompt + 11, reused, r.out());
        assertTrue(secondPrompt < reused, "only the new turn is prefilled: " + r.out());
        assertTrue(r.err().contains("saved 4 message(s) and " + (reused + secondPrompt + 11) + " KV position(s)"), r.err());

        // the loaded conversation continues from its KV state: only the new turn is prefilled (ChatKvTest has more)
        CliRunner.Result loaded = CliRunner.runWithInput("/load " + saved + "\nAnd then?\n/stats\n",
                "chat", model.toString(), "-n", "4", "-c", "512", "--temp", "0", "-t", "2");
        assertEquals(0, loaded.exitCode(), loaded.err());
        assertTrue(loaded.out().contains("session:              1 turn(s)"), loaded.out());
        assertTrue(loaded.out().contains("(" + (reused + secondPrompt + 11) + " reused"), loaded.out());
    }

    @Test
    void runChatSendsOneTemplatedTurn(@TempDir Path dir) throws Exception {
        Path model = withTemplate(dir, TEMPLATE);
        CliRunner.Result templated = CliRunner.run("run", model.toString(), "--system", "Be kind.", "-p", "Tell me a story.",
                "-n", "16", "--temp", "0", "-t", "2");
        assertEquals(0, templated.exitCode(), templated.err());
        // the same text rendered by hand gives the same tokens, hence the same greedy reply
        CliRunner.Result byHand = CliRunner.run("run", model.toString(), "-p", "system:Be kind.\nuser:Tell me a story.\nassistant:",
                "-n", "16", "--temp", "0", "-t", "2");
        assertEquals(byHand.out(), templated.out());
        // and the chat's first reply is the same turn
        CliRunner.Result chat = CliRunner.runWithInput("Tell me a story.\n", "chat", model.toString(), "--system", "Be kind.",
                "-n", "16", "--temp", "0", "-t", "2");
        assertEquals(templated.out() + "\n", chat.out());
        // without a template the prompt is used as it is, with a notice
        CliRunner.Result plain = CliRunner.run("run", SharedData.model("gguf/stories260K.gguf").toString(), "--chat", "-p", "Hi",
                "-n", "2", "-t", "2");
        assertEquals(0, plain.exitCode(), plain.err());
        assertTrue(plain.err().contains("has no chat template"), plain.err());
    }

    @Test
    void aTemplateThatCannotRenderFallsBackWithAWarning(@TempDir Path dir) throws Exception {
        Path model = withTemplate(dir, "{% for m in messages %}{{ m.content | nosuchfilter }}{% endfor %}");
        CliRunner.Result r = CliRunner.runWithInput("Hello\n", "chat", model.toString(), "-n", "4", "--temp", "0", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("warning: chat template 'model'") && r.err().contains("'chatml'"), r.err());
        assertTrue(r.err().lines().count() <= 2, r.err());
    }

    @Test
    void slashCommandsAnswerAndRefuseBadValues() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.runWithInput("/set temp -1\n/set top-k 5\n/set\n/sav\n/help\n/kv\n/bogus x\n",
                "chat", model, "-c", "64", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("--temp must be 0 (greedy) or positive"), r.err());
        assertTrue(r.out().contains("top-k 5"), r.out());
        assertTrue(r.err().contains("did you mean /save?"), r.err());
        assertTrue(r.out().contains("/system TEXT"), r.out());
        assertTrue(r.out().contains("context:   64 positions"), r.out());
        assertTrue(r.out().contains("types:     K f16, V f16"), r.out());
        assertTrue(r.err().contains("unknown command /bogus"), r.err());
    }

    @Test
    void unknownTemplateIsAUsageError() {
        String model = SharedData.model("gguf/stories260K.gguf").toString();
        CliRunner.Result r = CliRunner.runWithInput("", "chat", model, "--chat-template", "nosuch");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().strip().startsWith("llm4j: chat template 'nosuch' is neither a built-in"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
