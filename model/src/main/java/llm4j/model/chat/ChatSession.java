package llm4j.model.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import llm4j.model.generate.ContextFullException;
import llm4j.model.generate.GenerationStats;
import llm4j.model.generate.Generator;
import llm4j.model.generate.Session;
import llm4j.model.sample.Sampler;
import llm4j.model.sample.SamplerSettings;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Utf8StreamDecoder;

/**
 * A conversation on one model session. Each turn renders the whole conversation through the chat template,
 * but feeds the model only what it has not seen: the text the session already holds is a prefix of the new
 * rendering, so only the suffix (the end of the last reply's turn, the new user turn and the assistant
 * header) is tokenized and prefilled, as llama-cli does. When a template rewrites earlier turns (trimming a
 * reply, moving the system prompt), the whole rendering is tokenized and the longest common token prefix
 * with the cache is kept instead.
 *
 * <p>Without a template ({@link #plain}) the conversation is one continuing text: each message is appended
 * as it is, which makes the first turn exactly {@code llm4j run} on the same text.
 */
public final class ChatSession {

    /** Receives the reply as text while it is generated; returning false stops the reply. */
    @FunctionalInterface
    public interface TextSink {
        boolean accept(String text);
    }

    /** One finished turn: its reply, how it ended, and how many prompt tokens were reused from the cache. */
    public record Turn(String reply, GenerationStats stats, int reusedTokens) {
    }

    private final Tokenizer tokenizer;
    private final Session session;
    private final int vocab;
    private ChatTemplate template;
    private final Consumer<String> warnings;
    private final List<ChatMessage> messages = new ArrayList<>();
    private int[] held = new int[0];
    private String heldText = "";
    private SamplerSettings settings;
    private Sampler sampler;

    private ChatSession(Tokenizer tokenizer, Session session, ChatTemplate template, SamplerSettings settings,
                        Consumer<String> warnings) {
        this.tokenizer = tokenizer;
        this.session = session;
        this.vocab = session.vocabSize();
        this.template = template;
        this.warnings = warnings;
        this.settings = settings;
        this.sampler = new Sampler(settings, vocab);
    }

    /** A chat that renders turns with {@code template}; {@code warnings} hears about template fallbacks. */
    public static ChatSession templated(Tokenizer tokenizer, Session session, ChatTemplate template,
                                        SamplerSettings settings, Consumer<String> warnings) {
        return new ChatSession(tokenizer, session, template, settings, warnings);
    }

    /** A chat without a template: plain text continuation. */
    public static ChatSession plain(Tokenizer tokenizer, Session session, SamplerSettings settings) {
        return new ChatSession(tokenizer, session, null, settings, w -> { });
    }

    /** The template in use, or null in continuation mode. */
    public ChatTemplate template() {
        return template;
    }

    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    public Session session() {
        return session;
    }

    public SamplerSettings settings() {
        return settings;
    }

    /** New sampler settings; the repeat-penalty history starts afresh. */
    public void settings(SamplerSettings s) {
        settings = s;
        sampler = new Sampler(s, vocab);
    }

    /** Sets (or with null/empty text removes) the system message; the next turn re-renders from it. */
    public void system(String text) {
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
            messages.removeFirst();
        }
        if (text != null && !text.isEmpty()) {
            messages.addFirst(ChatMessage.system(text));
        }
    }

    /** Forgets the conversation except the system message, and the cache with it. */
    public void reset() {
        ChatMessage system = !messages.isEmpty() && messages.getFirst().role().equals("system") ? messages.getFirst() : null;
        messages.clear();
        if (system != null) {
            messages.add(system);
        }
        forgetCache();
    }

    /** Replaces the conversation (a loaded file); the cache is rebuilt on the next turn. */
    public void replace(List<ChatMessage> conversation) {
        messages.clear();
        messages.addAll(conversation);
        forgetCache();
    }

    private void forgetCache() {
        held = new int[0];
        heldText = "";
        session.reset();
        sampler = new Sampler(settings, vocab);
    }

    /** Tokens the cache holds. */
    public int position() {
        return session.position();
    }

    /**
     * What a saved chat needs besides the KV cache: the messages, the token ids of the conversation so
     * far ({@code held}; the cache holds its first {@link #position()} ones, the last reply token may not
     * be fed yet) and the text they render.
     */
    public record State(List<ChatMessage> messages, int[] held, String heldText) {
    }

    public State state() {
        return new State(List.copyOf(messages), held.clone(), heldText);
    }

    /** The token ids the KV cache holds, in order (what a prompt cache of this chat stores). */
    public int[] cachedTokens() {
        return Arrays.copyOf(held, Math.min(session.position(), held.length));
    }

    /**
     * Continues a saved conversation whose first {@code positions} tokens of {@code state.held()} the
     * cache already holds (restored from a file); the next turn prefills only what follows them.
     */
    public void restore(State state, int positions) {
        if (positions < 0 || positions > state.held().length) {
            throw new IllegalArgumentException("cannot resume at " + positions + " of " + state.held().length + " tokens");
        }
        messages.clear();
        messages.addAll(state.messages());
        held = state.held().clone();
        heldText = state.heldText();
        session.reset();
        session.resumeAt(positions);
        sampler = new Sampler(settings, vocab);
    }

    /**
     * Adds a user message and generates the reply. The message joins the conversation only once its prompt
     * fits; on {@link ContextFullException} or {@link ChatTemplateException} the conversation is unchanged.
     */
    public Turn send(String userText, int maxTokens, TextSink sink) throws ChatTemplateException {
        List<ChatMessage> next = new ArrayList<>(messages);
        next.add(ChatMessage.user(userText));
        String full = render(next);
        int cached = Math.min(session.position(), held.length);
        int[] fresh;
        int reused;
        if (!heldText.isEmpty() && full.startsWith(heldText)) {
            // the cache may lack the reply's last token (generation stops before feeding it): feed it now
            reused = cached;
            int[] suffix = tokenizer.encode(full.substring(heldText.length()), false, true);
            fresh = concat(Arrays.copyOfRange(held, cached, held.length), suffix);
        } else {
            int[] all = tokenizer.encode(full, true, true);
            reused = commonPrefix(Arrays.copyOf(held, cached), all);
            if (reused == all.length && reused > 0) {
                reused--; // re-evaluate the last token so there are logits to sample from
            }
            fresh = Arrays.copyOfRange(all, reused, all.length);
        }
        if (reused + fresh.length >= session.capacity()) {
            throw new ContextFullException(reused + fresh.length, session.capacity());
        }
        if (reused < session.position()) {
            rewind(reused);
        }
        int[] prompt = concat(Arrays.copyOf(held, reused), fresh);
        messages.add(ChatMessage.user(userText));
        StringBuilder reply = new StringBuilder();
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        List<Integer> generated = new ArrayList<>();
        GenerationStats stats;
        try {
            stats = Generator.generate(session, fresh, maxTokens, sampler, tokenizer::isEndOfGeneration, token -> {
                generated.add(token);
                String text = decoder.feed(tokenizer.tokenBytes(token));
                reply.append(text);
                return text.isEmpty() || sink.accept(text);
            });
        } catch (RuntimeException e) {
            // the cache could not take the turn (its cap): the conversation stays as it was before it
            messages.removeLast();
            int keep = Math.min(reused, session.position());
            rewind(keep);
            throw e;
        }
        String tail = decoder.flush();
        if (!tail.isEmpty()) {
            reply.append(tail);
            sink.accept(tail);
        }
        int[] replyTokens = generated.stream().mapToInt(Integer::intValue).toArray();
        held = concat(prompt, replyTokens);
        heldText = full + reply;
        messages.add(ChatMessage.assistant(reply.toString()));
        return new Turn(reply.toString(), stats, reused);
    }

    /** The prompt for {@code conversation} ending with the assistant header (plain mode: the texts joined). */
    private String render(List<ChatMessage> conversation) throws ChatTemplateException {
        if (template == null) {
            StringBuilder b = new StringBuilder();
            conversation.forEach(m -> b.append(m.content()));
            return b.toString();
        }
        try {
            return template.prompt(conversation, tokenizer);
        } catch (ChatTemplateException e) {
            ChatTemplate fallback = BuiltinTemplates.closestTo(template.source());
            if (fallback.name().equals(template.name())) {
                throw e;
            }
            warnings.accept("chat template '" + template.name() + "': " + e.getMessage() + "; using the built-in '"
                    + fallback.name() + "' template instead");
            template = fallback;
            return template.prompt(conversation, tokenizer);
        }
    }

    private void rewind(int position) {
        session.reset();
        if (position > 0) {
            session.resumeAt(position);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
