package llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

import llm4j.model.ModelConfig;
import llm4j.model.chat.ChatSession;
import llm4j.model.chat.ChatTemplateException;
import llm4j.model.generate.ContextFullException;
import llm4j.model.generate.StopReason;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.PagedKvCache;

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
    /** The model file or folder, for the identity a saved KV state is tied to; null: /save keeps messages only. */
    final Path modelPath;
    private String identity;

    ChatLoop(ChatSession chat, ModelConfig config, String modelName, LineSource in, PrintWriter out, PrintWriter err,
             Style style, int maxTokens) {
        this(chat, config, null, modelName, in, out, err, style, maxTokens);
    }

    ChatLoop(ChatSession chat, ModelConfig config, Path modelPath, String modelName, LineSource in, PrintWriter out,
             PrintWriter err, Style style, int maxTokens) {
        this.chat = chat;
        this.config = config;
        this.modelPath = modelPath;
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
        } catch (KvCapacityException e) {
            out.println();
            notice("llm4j: " + e.getMessage() + "; the turn was dropped (/reset starts over)");
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

    /** The paged cache with its types, cap and ladder, or null for a plain f16 cache (tests). */
    PagedKvCache kv() {
        return chat.session().kv() instanceof PagedKvCache p ? p : null;
    }

    /** The model's sha256, computed on first use (a /save or /load). */
    String identity() {
        if (identity == null) {
            identity = PromptCaching.identity(modelPath, null);
        }
        return identity;
    }

    /** Bytes one position costs at the configured types: K and V rows of every layer (f16 without a paged cache). */
    long kvBytesPerToken() {
        PagedKvCache kv = kv();
        if (kv == null) {
            return 2L * config.layers() * config.kvHeads() * config.headDim() * 2;
        }
        var perType = kv.stats().bytesPerToken();
        String k = kv.settings().keyType().name();
        String v = kv.settings().valueType().name();
        return (perType.get(k) + perType.get(v)) / 2;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }
}
