package llm4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

import llm4j.model.ModelConfig;
import llm4j.model.chat.ChatSession;
import llm4j.model.chat.ChatTemplateException;
import llm4j.model.generate.ContextFullException;
import llm4j.model.generate.StopReason;

/**
 * The chat's read-reply loop, the same for a person at a terminal and a script on a pipe: messages go to the
 * model and the reply streams to standard output; lines starting with {@code /} are commands. Notices go to
 * standard error, so a script's standard output is only replies and the output of commands it asked for.
 */
final class ChatLoop {

    final ChatSession chat;
    final ModelConfig config;
    final String modelName;
    final LineSource in;
    final PrintWriter out;
    final PrintWriter err;
    final Style style;
    int maxTokens;
    final ChatStats stats = new ChatStats();

    ChatLoop(ChatSession chat, ModelConfig config, String modelName, LineSource in, PrintWriter out, PrintWriter err,
             Style style, int maxTokens) {
        this.chat = chat;
        this.config = config;
        this.modelName = modelName;
        this.in = in;
        this.out = out;
        this.err = err;
        this.style = style;
        this.maxTokens = maxTokens;
    }

    /** Runs until /exit or end of input. */
    void run() {
        ChatCommands commands = new ChatCommands(this);
        String line;
        while ((line = in.next()) != null) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("/") && !line.startsWith("//")) {
                if (!commands.execute(line.strip())) {
                    break;
                }
                continue;
            }
            turn(line.startsWith("//") ? line.substring(1) : line);
        }
    }

    void turn(String message) {
        ChatSession.Turn turn;
        in.generating(true);
        try {
            turn = chat.send(message, maxTokens, text -> {
                out.print(text);
                out.flush();
                return !in.interrupted() && !out.checkError();
            });
        } catch (ChatTemplateException e) {
            notice("llm4j: " + e.getMessage());
            return;
        } catch (ContextFullException e) {
            notice("llm4j: the conversation no longer fits the context of " + chat.session().capacity()
                    + " tokens; /reset starts over (or restart with a larger -c)");
            return;
        } finally {
            in.generating(false);
        }
        out.println();
        if (in.interactive()) {
            out.println();
        }
        out.flush();
        stats.add(turn);
        if (turn.stats().stop() == StopReason.CANCELLED) {
            notice("[reply stopped]");
        } else if (turn.stats().stop() == StopReason.CONTEXT_FULL) {
            notice("llm4j: context full (" + chat.position() + " tokens); the reply was cut. /reset starts over");
        }
    }

    void notice(String text) {
        PrintWriter w = in.interactive() ? out : err;
        w.println(in.interactive() ? style.dim(text) : text);
        w.flush();
    }

    /** Bytes one position costs in the f16 cache: K and V rows of every layer. */
    long kvBytesPerToken() {
        return 2L * config.layers() * config.kvHeads() * config.headDim() * 2;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }
}
