package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import llm4j.model.Model;
import llm4j.model.chat.ChatSession;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.generate.Session;
import llm4j.model.parallel.WorkerPool;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j chat}: an interactive conversation, or a scripted one when standard input is a pipe. */
@Command(name = "chat", header = "Chat with a model: a REPL at a terminal, one message per line when piped.", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Chat with a model. At a terminal: line editing, history (~/.llm4j/history), completion of /commands,",
            "multi-line input (end a line with \\ or wrap text in \"\"\"), Ctrl-C stops a reply, Ctrl-D or /exit leaves.",
            "With standard input piped, each line is one message and only the replies (and /command output) go to",
            "standard output. The conversation is formatted by the model's chat template; a model without one",
            "continues the text as it is. Each turn prefills only the new tokens. /help lists the commands."},
        footer = {"", "Examples:",
            "  llm4j chat ../shared/models/gguf/stories260K.gguf",
            "  printf 'Once upon a time\\n/stats\\n/exit\\n' | llm4j chat ../shared/models/gguf/stories260K.gguf --temp 0",
            "  llm4j chat model.gguf --chat-template chatml --system \"You are terse.\"",
            "  llm4j chat model.gguf --kv-quant q8_0 --kv-mem-cap 64M --kv-overflow evict"})
final class ChatCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF model file. Default: $LLM4J_MODEL, else " + ModelLocator.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Most tokens per reply; -1 until the end of the turn or a full context. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE",
            description = "Template instead of the model's: chatml, llama2, llama3, mistral, zephyr, gemma, or a Jinja file.")
    String chatTemplate;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message that opens the conversation.")
    String system;

    @Option(names = "--no-history", description = "Do not read or write the line history file.")
    boolean noHistory;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    KvOptions kvOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw CliException.usage("-n must be -1 (unlimited), 0 or more, not " + maxTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var settings = sampling.settings();
        Path path = ModelLocator.resolve(model);
        try (Model m = Model.load(path); WorkerPool pool = runtime.pool(err)) {
            int ctx = runtime.context(m.config(), err);
            m.requireMemoryFor(ctx, Math.min(runtime.batchSize(), ctx), 1, pool.threads());
            // the paged cache with the KV flags; a cap is checked against the sinks and recent window only, since
            // a chat's length is not known: when it fills, the overflow policy decides or the turn says so
            Session session = m.newSession(kvOptions.newCache(m, ctx, 1), pool, runtime.batchSize());
            ChatTemplate template = ChatSetup.template(m, chatTemplate, err);
            ChatSession chat = ChatSetup.session(m, session, template, settings, err);
            if (system != null) {
                chat.system(system);
            }
            try (LineSource in = lineSource(err)) {
                Style style = in.interactive() ? Style.of(true) : Style.PLAIN;
                if (template == null) {
                    err.println("llm4j: " + path.getFileName() + " has no chat template: plain continuation (each message continues the text)");
                } else if (in.interactive()) {
                    err.println(style.dim("llm4j: chat template '" + template.name() + "', context " + ctx + " tokens; /help for commands"));
                }
                err.flush();
                new ChatLoop(chat, m.config(), path, path.getFileName().toString(), in, out, err, style, maxTokens).run();
            }
        }
        return 0;
    }

    private LineSource lineSource(PrintWriter err) throws IOException {
        if (System.console() == null || !System.console().isTerminal()) {
            return new PipedLineSource(System.in);
        }
        Terminal terminal = TerminalBuilder.builder().system(true).name("llm4j").build();
        return new TerminalLineSource(terminal, noHistory ? null : UserConfig.historyFile(), ">>> ", err);
    }
}
