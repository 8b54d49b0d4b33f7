package llm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

import llm4j.model.Model;
import llm4j.model.chat.ChatMessage;
import llm4j.model.chat.ChatSession;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.SamplerSettings;
import llm4j.testdata.SharedData;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.impl.ExternalTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real REPL on a pseudo-terminal: JLine's external terminal fed keystrokes through a pipe, with its
 * line discipline turning Ctrl-C into SIGINT as a tty does. Covers history recall, both multi-line forms,
 * Ctrl-C stopping a reply without ending the chat, and /exit.
 */
class ChatTerminalTest {

    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private OutputStream keys;

    @Test
    void historyMultilineAndCtrlC(@TempDir Path dir) throws Exception {
        PipedInputStream termIn = new PipedInputStream(1 << 16);
        keys = new PipedOutputStream(termIn);
        OutputStream termOut = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (screen) {
                    screen.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (screen) {
                    screen.write(b, off, len);
                }
            }
        };
        Path history = dir.resolve("history");
        Path saved = dir.resolve("chat.json");
        // JLine's test terminal: its line discipline (not a kernel pty's) raises SIGINT for Ctrl-C, in-process
        try (ExternalTerminal terminal = new ExternalTerminal("test", "xterm", termIn, termOut, StandardCharsets.UTF_8);
             Model m = Model.load(SharedData.model("gguf/stories260K.gguf"));
             WorkerPool pool = new WorkerPool(2)) {
            terminal.setSize(new Size(120, 40));
            // a tty starts in cooked mode: signals on, Ctrl-C is VINTR
            Attributes attributes = terminal.getAttributes();
            attributes.setLocalFlag(Attributes.LocalFlag.ISIG, true);
            attributes.setControlChar(Attributes.ControlChar.VINTR, 3);
            terminal.setAttributes(attributes);
            ChatSession chat = ChatSession.plain(m.tokenizer(), m.newSession(m.newCache(2048), pool, 512), SamplerSettings.greedy());
            PrintWriter out = terminal.writer();
            PrintWriter err = new PrintWriter(new StringWriter());
            LineSource in = new TerminalLineSource(terminal, history, ">>> ", err);
            ChatLoop loop = new ChatLoop(chat, m.config(), "stories260K.gguf", in, out, err, Style.PLAIN, 3);
            Thread repl = new Thread(() -> {
                loop.run();
                in.close();
            }, "repl");
            repl.start();

            waitFor(s -> s.contains(">>> "));
            type("Once upon a time\r");
            waitFor(s -> count(s, ">>> ") >= 2);
            // multi-line: a trailing backslash continues, then a """ block
            type("first line \\\r");
            waitFor(s -> s.contains("... "));
            type("second line\r");
            waitFor(s -> count(s, ">>> ") >= 3);
            type("\"\"\"\rblock one\rblock two\r\"\"\"\r");
            waitFor(s -> count(s, ">>> ") >= 4);
            type("The little dog\r");
            waitFor(s -> count(s, ">>> ") >= 5);
            // history: the up arrow recalls the last message (xterm in keypad mode sends ESC O A)
            type("\u001bOA\r");
            waitFor(s -> count(s, ">>> ") >= 6);
            // Ctrl-C while an unlimited reply streams stops the reply, not the chat
            type("/set n-predict -1\r");
            waitFor(s -> count(s, ">>> ") >= 7);
            int before = screenText().length();
            type("Once upon a time\r");
            waitFor(s -> s.length() > before + 200);
            type("\u0003");
            waitFor(s -> s.contains("[reply stopped]"));
            waitFor(s -> count(s, ">>> ") >= 8);
            type("/save " + saved + "\r");
            waitFor(s -> s.contains("saved "));
            type("/exit\r");
            repl.join(20_000);
            assertFalse(repl.isAlive(), "the REPL ends on /exit");

            List<ChatMessage> messages = ChatFile.load(saved).messages();
            List<String> user = messages.stream().filter(x -> x.role().equals("user")).map(ChatMessage::content).toList();
            assertEquals(List.of("Once upon a time", "first line \nsecond line", "block one\nblock two", "The little dog",
                    "The little dog", "Once upon a time"), user);
            String stopped = messages.getLast().content();
            assertTrue(stopped.length() > 20 && chat.position() < 2040, "the reply was cut short: " + chat.position());
        }
        String hist = Files.readString(history);
        assertTrue(hist.contains("Once upon a time") && hist.contains("/set n-predict -1"), hist);
    }

    private void type(String s) throws Exception {
        keys.write(s.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    private String screenText() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8);
        }
    }

    private void waitFor(Predicate<String> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.test(screenText())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; screen:\n" + screenText());
            }
            Thread.sleep(5);
        }
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + 1)) {
            n++;
        }
        return n;
    }
}
