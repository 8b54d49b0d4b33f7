package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import llm4j.model.chat.ChatSession;
import llm4j.model.generate.GenerationStats;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.KvStats;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.kv.PromptCacheFile;
import llm4j.model.sample.SamplerSettings;

/** The chat's slash commands. */
final class ChatCommands {

    static final List<String> NAMES = List.of("/help", "/reset", "/system", "/set", "/stats", "/kv", "/save", "/load", "/exit");
    static final List<String> SETTINGS = List.of("temp", "top-k", "top-p", "min-p", "repeat-penalty", "repeat-last-n",
            "seed", "n-predict");

    private static final String HELP = """
            /help              this list
            /reset             forget the conversation (keeps the system message) and the KV cache
            /system TEXT       set the system message (empty: remove it); the next turn re-renders the chat
            /set NAME VALUE    sampler setting: temp, top-k, top-p, min-p, repeat-penalty, repeat-last-n, seed,
                               n-predict; /set alone lists them
            /stats             tokens, speed, context and KV cache use
            /kv                KV cache types, cap and ladder state (positions per rung), requantizations, evictions
            /save FILE         save the conversation and its quantized KV state (written atomically)
            /load FILE         load a saved conversation; the next turn prefills only its new tokens
            /exit              leave (also Ctrl-D)
            A line ending in \\ continues on the next line; \"\"\" opens and closes a multi-line block.
            Ctrl-C stops a reply. Start a message with // to send text that begins with /.""";

    private final ChatLoop loop;

    ChatCommands(ChatLoop loop) {
        this.loop = loop;
    }

    /** Runs {@code line}; false means leave the chat. */
    boolean execute(String line) {
        int space = line.indexOf(' ');
        String name = (space < 0 ? line : line.substring(0, space)).toLowerCase(Locale.ROOT);
        String arg = space < 0 ? "" : line.substring(space + 1).strip();
        PrintWriter out = loop.out;
        try {
            switch (name) {
                case "/exit", "/bye", "/quit" -> {
                    return false;
                }
                case "/help", "/?" -> out.println(HELP);
                case "/reset", "/clear" -> {
                    loop.chat.reset();
                    loop.stats.clear();
                    loop.notice("conversation and KV cache cleared");
                }
                case "/system" -> {
                    loop.chat.system(arg);
                    loop.notice(arg.isEmpty() ? "system message removed" : "system message set");
                }
                case "/set" -> set(arg);
                case "/stats" -> stats(out);
                case "/kv" -> kv(out);
                case "/save" -> save(arg);
                case "/load" -> load(arg);
                default -> loop.notice("llm4j: unknown command " + name + suggestion(name) + " (/help lists them)");
            }
        } catch (CliException e) {
            loop.notice("llm4j: " + e.getMessage());
        }
        out.flush();
        return true;
    }

    private static String suggestion(String name) {
        String best = Suggest.closest(name, NAMES);
        return best == null ? "" : "; did you mean " + best + "?";
    }

    private void set(String arg) {
        SamplerSettings s = loop.chat.settings();
        if (arg.isEmpty()) {
            loop.out.printf(Locale.ROOT, "temp %s, top-k %d, top-p %s, min-p %s, repeat-penalty %s, repeat-last-n %d, seed %d, n-predict %d%n",
                    s.temperature(), s.topK(), s.topP(), s.minP(), s.repeatPenalty(), s.repeatLastN(), s.seed(), loop.maxTokens);
            return;
        }
        String[] parts = arg.split("\\s+");
        if (parts.length != 2) {
            throw CliException.usage("usage: /set NAME VALUE (names: " + String.join(", ", SETTINGS) + ")");
        }
        String key = parts[0].toLowerCase(Locale.ROOT).replace('_', '-');
        String value = parts[1];
        try {
            SamplerSettings n = switch (key) {
                case "temp", "temperature" -> new SamplerSettings(Float.parseFloat(value), s.topK(), s.topP(), s.minP(), s.repeatPenalty(), s.repeatLastN(), s.seed());
                case "top-k" -> new SamplerSettings(s.temperature(), Integer.parseInt(value), s.topP(), s.minP(), s.repeatPenalty(), s.repeatLastN(), s.seed());
                case "top-p" -> new SamplerSettings(s.temperature(), s.topK(), Float.parseFloat(value), s.minP(), s.repeatPenalty(), s.repeatLastN(), s.seed());
                case "min-p" -> new SamplerSettings(s.temperature(), s.topK(), s.topP(), Float.parseFloat(value), s.repeatPenalty(), s.repeatLastN(), s.seed());
                case "repeat-penalty" -> new SamplerSettings(s.temperature(), s.topK(), s.topP(), s.minP(), Float.parseFloat(value), s.repeatLastN(), s.seed());
                case "repeat-last-n" -> new SamplerSettings(s.temperature(), s.topK(), s.topP(), s.minP(), s.repeatPenalty(), Integer.parseInt(value), s.seed());
                case "seed" -> s.withSeed(Long.parseLong(value));
                case "n-predict", "num-predict" -> {
                    int n0 = Integer.parseInt(value);
                    if (n0 < -1) {
                        throw CliException.usage("n-predict must be -1 (unlimited) or more, not " + n0);
                    }
                    loop.maxTokens = n0;
                    yield null;
                }
                default -> throw CliException.usage("unknown setting '" + parts[0] + "' (names: " + String.join(", ", SETTINGS) + ")");
            };
            if (n != null) {
                loop.chat.settings(SamplingOptions.validated(n));
            }
            loop.notice("set " + key + " = " + value);
        } catch (NumberFormatException e) {
            throw CliException.usage("'" + value + "' is not a number for " + key);
        }
    }

    private void stats(PrintWriter out) {
        ChatStats st = loop.stats;
        int position = loop.chat.position();
        int capacity = loop.chat.session().capacity();
        if (st.last != null) {
            GenerationStats g = st.last.stats();
            out.printf(Locale.ROOT, "last turn:            %d prompt token(s) evaluated (%d reused from the KV cache), %d generated%n",
                    g.promptTokens(), st.last.reusedTokens(), g.generatedTokens());
            out.printf(Locale.ROOT, "prompt eval rate:     %.2f tokens/s%n", g.promptTokensPerSecond());
            out.printf(Locale.ROOT, "eval rate:            %.2f tokens/s%n", g.generateTokensPerSecond());
        }
        out.printf(Locale.ROOT, "session:              %d turn(s), %d prompt token(s) evaluated, %d reused, %d generated%n",
                st.turns, st.promptTokens, st.reusedTokens, st.generatedTokens);
        out.printf(Locale.ROOT, "context:              %d / %d tokens (%.1f%%)%n", position, capacity, 100.0 * position / capacity);
        PagedKvCache kv = loop.kv();
        if (kv == null) {
            out.printf(Locale.ROOT, "kv cache:             %s used of %s (f16 K/V, %d bytes/token)%n",
                    ChatLoop.mib(position * loop.kvBytesPerToken()), ChatLoop.mib(loop.chat.session().kv().bytes()), loop.kvBytesPerToken());
        } else {
            KvStats k = kv.stats();
            out.printf(Locale.ROOT, "kv cache:             %s used%s (%s, %d bytes/token)%n", ChatLoop.mib(k.bytesUsed()),
                    k.capBytes() > 0 ? " of a " + ChatLoop.mib(k.capBytes()) + " cap" : "", types(kv), loop.kvBytesPerToken());
        }
    }

    private static String types(PagedKvCache kv) {
        String k = kv.settings().keyType().name();
        String v = kv.settings().valueType().name();
        return k.equals(v) ? k + " K/V" : "K " + k + ", V " + v;
    }

    private void kv(PrintWriter out) {
        var c = loop.config;
        int capacity = loop.chat.session().capacity();
        PagedKvCache kv = loop.kv();
        if (kv == null) {
            out.printf(Locale.ROOT, "types:     K f16, V f16%n");
            out.printf(Locale.ROOT, "capacity:  %d positions (%d layers x %d KV heads x %d dims), %s allocated%n",
                    capacity, c.layers(), c.kvHeads(), c.headDim(), ChatLoop.mib(loop.chat.session().kv().bytes()));
            out.printf(Locale.ROOT, "in use:    %d positions, %s (%d bytes/token)%n", loop.chat.position(),
                    ChatLoop.mib(loop.chat.position() * loop.kvBytesPerToken()), loop.kvBytesPerToken());
            out.printf(Locale.ROOT, "policy:    no memory cap or ladder; a full context ends the reply%n");
            return;
        }
        KvSettings s = kv.settings();
        KvStats k = kv.stats();
        out.printf(Locale.ROOT, "types:     K %s, V %s%s%s%n", s.keyType().name(), s.valueType().name(),
                k.keysRotated() ? ", keys Hadamard-rotated" : "", k.keysSmoothed() ? ", key channels smoothed" : "");
        out.printf(Locale.ROOT, "context:   %d positions (%d layers x %d KV heads x %d dims)%n",
                capacity, c.layers(), c.kvHeads(), c.headDim());
        out.printf(Locale.ROOT, "cap:       %s%n", s.capped()
                ? String.format(Locale.ROOT, "%s (%d bytes), ladder %s, keep recent %d, sinks %d, overflow %s", ChatLoop.mib(s.capBytes()),
                        s.capBytes(), String.join(" > ", k.rungs()), s.keepRecent(), s.sinks(), s.overflow().label())
                : "none (the context alone bounds the cache)");
        out.printf(Locale.ROOT, "in use:    %s, peak %s; %d positions held, next position %d%n", ChatLoop.mib(k.bytesUsed()),
                ChatLoop.mib(k.peakBytes()), k.positionsHeld(), k.nextPosition());
        StringBuilder perType = new StringBuilder("per token:");
        k.bytesPerToken().forEach((type, bytes) -> perType.append(' ').append(type).append('=').append(bytes));
        out.println(perType);
        for (String line : k.lines()) {
            if (line.startsWith("kv: layer")) {
                out.println("ladder:    " + line.substring("kv: ".length()));
            }
        }
        out.printf(Locale.ROOT, "changes:   %d requantization(s) (%d layer-positions), %d eviction(s) (%d positions), %d shift(s) (%d positions)%n",
                k.requantizations(), k.requantizedPositions(), k.evictions(), k.evictedPositions(), k.shifts(), k.discardedPositions());
    }

    private void save(String arg) {
        if (arg.isEmpty()) {
            throw CliException.usage("usage: /save FILE");
        }
        Path file = Path.of(arg);
        ChatSession.State state = loop.chat.state();
        PagedKvCache kv = loop.kv();
        try {
            byte[] json = ChatFile.json(loop.modelName, loop.chat.template() == null ? null : loop.chat.template().name(), state);
            boolean withKv = kv != null && loop.modelPath != null
                    && PromptCacheFile.save(file, loop.identity(), kv, loop.chat.cachedTokens(), json);
            if (withKv) {
                loop.notice("saved " + state.messages().size() + " message(s) and " + loop.chat.position() + " KV position(s) to " + arg);
                return;
            }
            ChatFile.saveJson(file, json);
        } catch (IOException e) {
            throw CliException.failure("cannot save: " + e.getMessage());
        }
        loop.notice("saved " + state.messages().size() + " message(s) to " + arg
                + (kv != null ? " (not the KV state: positions were evicted or shifted; it is prefilled again on load)" : ""));
    }

    private void load(String arg) {
        if (arg.isEmpty()) {
            throw CliException.usage("usage: /load FILE");
        }
        Path file = Path.of(arg);
        try {
            if (ChatFile.isJson(file)) {
                ChatSession.State state = checked(ChatFile.load(file), arg);
                loop.chat.restore(state, 0);
                loop.stats.clear();
                loop.notice("loaded " + state.messages().size() + " message(s) from " + arg + "; they are prefilled on the next turn");
                return;
            }
            PagedKvCache kv = loop.kv();
            if (kv == null || loop.modelPath == null) {
                throw CliException.failure("cannot load " + arg + ": this chat has no paged KV cache to restore into");
            }
            // everything the file holds: a chat's cache is the conversation so far, not a prompt to evaluate
            PromptCacheFile.LoadResult r = PromptCacheFile.load(file, loop.identity(), kv, null);
            if (r.mismatch() != null) {
                loop.notice("llm4j: not loading " + arg + ": " + r.mismatch().reason() + "; the conversation goes on");
                return;
            }
            ChatSession.State state;
            try {
                state = checked(ChatFile.parse(r.payload(), arg), arg);
            } catch (IOException e) {
                loop.chat.reset(); // the cache was already replaced: start clean rather than half-loaded
                throw e;
            }
            int restored = Math.min(r.restored(), state.held().length);
            loop.chat.restore(state, restored);
            loop.stats.clear();
            loop.notice("loaded " + state.messages().size() + " message(s) and " + restored + " KV position(s) from " + arg);
        } catch (PromptCacheFile.PromptCacheException e) {
            throw CliException.failure("cannot load: " + e.getMessage());
        } catch (IOException e) {
            throw CliException.failure("cannot load: " + e.getMessage());
        }
    }

    /** Token ids from a file must be this model's. */
    private ChatSession.State checked(ChatSession.State state, String source) throws IOException {
        int vocab = loop.config.vocabSize();
        for (int t : state.held()) {
            if (t < 0 || t >= vocab) {
                throw new IOException(source + ": token id " + t + " is outside this model's vocabulary of " + vocab);
            }
        }
        return state;
    }
}
