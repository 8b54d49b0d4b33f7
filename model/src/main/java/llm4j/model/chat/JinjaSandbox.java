package llm4j.model.chat;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import jinjava.javax.el.CompositeELResolver;

/**
 * Renders chat templates with Jinjava, fenced in: templates come from model files, so they are untrusted.
 * <ul>
 *   <li>no file or classpath access: {@code include}, {@code import}, {@code from} and {@code extends} are
 *       disabled and the resource locator finds nothing;</li>
 *   <li>no reflection: methods can be called only on Jinjava's own objects, and on strings and dicts only
 *       the Python methods templates use ({@link PythonMethods}); {@code class} and {@code getClass} are
 *       blocked by Jinjava itself;</li>
 *   <li>bounded output and strings ({@link #MAX_OUTPUT_CHARS}), lists and ranges, macro recursion;</li>
 *   <li>bounded time: every node checks a per-render deadline ({@link #TIME_LIMIT_NANOS}), so a template
 *       that loops over nested ranges stops instead of hanging the chat.</li>
 * </ul>
 */
final class JinjaSandbox {

    /** A rendered prompt is at most a context's worth of text (128K tokens are about 0.5 MiB). */
    static final long MAX_OUTPUT_CHARS = 4L << 20;
    static final long TIME_LIMIT_NANOS = 5_000_000_000L;

    private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

    private static final class Holder {
        static final Jinjava JINJAVA = create();
    }

    /** What {@code raise_exception} throws; its message is the template's own. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown between nodes once the deadline passes. */
    static final class TimeLimitExceeded extends RuntimeException {
        TimeLimitExceeded() {
            super("render time limit exceeded", null, false, false);
        }
    }

    private JinjaSandbox() {
    }

    static String render(String source, List<ChatMessage> messages, boolean addGenerationPrompt,
                         String bosToken, String eosToken) throws ChatTemplateException {
        Map<String, Object> context = new HashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken == null ? "" : bosToken);
        context.put("eos_token", eosToken == null ? "" : eosToken);
        Jinjava jinjava = Holder.JINJAVA; // built outside the time limit: the first use loads many classes
        checkFilters(jinjava, source);
        checkNesting(source);
        long[] deadline = {System.nanoTime() + TIME_LIMIT_NANOS, 0};
        DEADLINE.set(deadline);
        RenderResult result;
        try {
            result = jinjava.renderForResult(compatible(source), context);
        } catch (TemplateRaised e) {
            throw new ChatTemplateException("the template refused the conversation: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw new ChatTemplateException("cannot render the template: it nests blocks or calls too deeply");
        } catch (RuntimeException e) {
            throw new ChatTemplateException("cannot render the template: "
                    + oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } finally {
            DEADLINE.remove();
        }
        if (deadline[1] != 0) {
            throw new ChatTemplateException("rendering took longer than " + TIME_LIMIT_NANOS / 1_000_000_000L
                    + " s (an endless loop?)");
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(describe(error));
            }
        }
        return result.getOutput();
    }

    private static final java.util.regex.Pattern NOT_IS = java.util.regex.Pattern.compile(
            "\\bnot\\s+([A-Za-z_][A-Za-z0-9_.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]+)");

    /**
     * Jinjava binds {@code not} tighter than {@code is}, so {@code not x is defined} would test
     * {@code (not x)}; Jinja reads it as {@code not (x is defined)}, and templates rely on that.
     */
    static String compatible(String source) {
        return NOT_IS.matcher(source).replaceAll("not ($1 is $2$3)");
    }

    private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile("\\{\\{.*?\\}\\}|\\{%.*?%\\}",
            java.util.regex.Pattern.DOTALL);
    private static final java.util.regex.Pattern QUOTED = java.util.regex.Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final java.util.regex.Pattern FILTER = java.util.regex.Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");

    /** Jinja refuses a template naming an unknown filter; Jinjava would silently render it as nothing. */
    private static void checkFilters(Jinjava jinjava, String source) throws ChatTemplateException {
        java.util.regex.Matcher tags = TAG.matcher(source);
        while (tags.find()) {
            java.util.regex.Matcher filters = FILTER.matcher(QUOTED.matcher(tags.group()).replaceAll("''"));
            while (filters.find()) {
                if (jinjava.getGlobalContext().getFilter(filters.group(1)) == null) {
                    throw new ChatTemplateException("cannot render the template: no filter named '" + filters.group(1) + "'");
                }
            }
        }
    }

    /** Brackets nested deeper than this inside one tag are refused; real templates nest fewer than ten. */
    static final int MAX_NESTING = 64;

    /**
     * The expression parser takes time that grows steeply with bracket depth (5,000 nested parentheses did not
     * parse in 30 s), and that happens before the per-node deadline can fire, so depth is checked up front.
     */
    private static void checkNesting(String source) throws ChatTemplateException {
        java.util.regex.Matcher tags = TAG.matcher(source);
        while (tags.find()) {
            String code = QUOTED.matcher(tags.group()).replaceAll("''");
            int depth = 0;
            for (int i = 0; i < code.length(); i++) {
                char c = code.charAt(i);
                if (c == '(' || c == '[' || (c == '{' && i > 1 && i < code.length() - 2)) {
                    if (++depth > MAX_NESTING) {
                        throw new ChatTemplateException("cannot render the template: brackets nest more than "
                                + MAX_NESTING + " deep in one expression");
                    }
                } else if (c == ')' || c == ']' || (c == '}' && i > 1 && i < code.length() - 2)) {
                    depth = Math.max(0, depth - 1);
                }
            }
        }
    }

    /** Filters whose numeric arguments are widths or counts: each is refused above {@link #MAX_OUTPUT_CHARS}. */
    private static final Set<String> SIZED_FILTERS = Set.of("format", "center", "indent", "wordwrap", "truncate",
            "round", "batch", "slice", "urlize", "truncatehtml");

    /**
     * A filter fenced by argument size: {@code 'x' | center(2000000000)} or {@code '%2000000000d' | format(1)}
     * allocates the padding in one Java call, before any output limit can see it.
     */
    static final class SizedFilter implements com.hubspot.jinjava.lib.filter.Filter {
        private final com.hubspot.jinjava.lib.filter.Filter inner;

        SizedFilter(com.hubspot.jinjava.lib.filter.Filter inner) {
            this.inner = inner;
        }

        @Override
        public String getName() {
            return inner.getName();
        }

        @Override
        public boolean preserveSafeString() {
            return inner.preserveSafeString();
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            check(var, args);
            return inner.filter(var, interpreter, args);
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args,
                             Map<String, Object> kwargs) {
            check(var, args);
            check(null, kwargs.values().toArray());
            return inner.filter(var, interpreter, args, kwargs);
        }

        private void check(Object var, Object[] args) {
            // in a format string any digit run may be a width, precision or argument index: one above the limit
            // in the literal text is refused too, which no real template has
            if (inner.getName().equals("format") && var != null && tooLarge(DIGITS.matcher(String.valueOf(var)))) {
                throw new IllegalArgumentException("format: a number above " + MAX_OUTPUT_CHARS + " in " + oneLine(String.valueOf(var)));
            }
            for (Object a : args) {
                if (magnitude(a) > MAX_OUTPUT_CHARS) {
                    throw new IllegalArgumentException(inner.getName() + ": argument " + a + " is above " + MAX_OUTPUT_CHARS);
                }
            }
        }

        private static double magnitude(Object a) {
            if (a instanceof Number n) {
                return Math.abs(n.doubleValue());
            }
            String text = String.valueOf(a).strip();
            return NUMERIC.matcher(text).matches() ? Math.abs(Double.parseDouble(text)) : 0;
        }

        private static boolean tooLarge(java.util.regex.Matcher digits) {
            while (digits.find()) {
                if (digits.group().length() > 9 || Long.parseLong(digits.group()) > MAX_OUTPUT_CHARS) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final java.util.regex.Pattern DIGITS = java.util.regex.Pattern.compile("\\d+");
    private static final java.util.regex.Pattern NUMERIC = java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static String describe(TemplateError error) {
        Throwable cause = error.getException();
        while (cause != null) {
            if (cause instanceof TemplateRaised) {
                return "the template refused the conversation: " + cause.getMessage();
            }
            cause = cause.getCause() == cause ? null : cause.getCause();
        }
        String reason = switch (error.getReason()) {
            case OUTPUT_TOO_BIG -> "its output exceeds " + (MAX_OUTPUT_CHARS >> 20) + " MiB";
            default -> oneLine(error.getMessage());
        };
        return "cannot render the template" + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "") + ": " + reason;
    }

    private static String oneLine(String s) {
        String line = s.replaceAll("\\s+", " ").strip();
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // transformers compiles chat templates with trim_blocks and lstrip_blocks
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinja2's semantics where Jinjava has a legacy default: {{- -}} trimming, Python operator
                // precedence, backslashes, no trailing newline, evaluated dict keys
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withKeepNullableLoopValues(true)
                        .withEvaluateMapKeys(true)
                        .build())
                .withElResolver(resolver)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxStringLength(MAX_OUTPUT_CHARS)
                .withMaxListSize(100_000)
                .withMaxMapSize(100_000)
                .withMaxRenderDepth(10)
                .withMaxMacroRecursionDepth(20)
                .withRestrictedMethods(Set.of("getClass", "forName", "newInstance", "invoke", "exec", "getRuntime",
                        "getMethod", "getDeclaredMethod", "getField", "getDeclaredField", "loadClass", "repeat"))
                .withRestrictedProperties(Set.of("class", "classLoader", "declaringClass", "module"))
                .withDisabled(Map.of(Context.Library.TAG, Set.of("include", "import", "from", "extends")))
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor((node, interpreter) -> checkDeadline()).build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((path, encoding, interpreter) -> {
            throw new ResourceNotFoundException("templates cannot load files (" + path + ")");
        });
        for (String name : SIZED_FILTERS) {
            com.hubspot.jinjava.lib.filter.Filter f = jinjava.getGlobalContext().getFilter(name);
            if (f != null) {
                jinjava.getGlobalContext().registerFilter(new SizedFilter(f));
            }
        }
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                JinjaSandbox.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                JinjaSandbox.class, "strftimeNow", String.class));
        return jinjava;
    }

    private static void checkDeadline() {
        long[] deadline = DEADLINE.get();
        if (deadline != null && System.nanoTime() > deadline[0]) {
            deadline[1] = 1;
            throw new TimeLimitExceeded();
        }
    }

    /** {@code raise_exception(msg)}, which transformers provides to templates. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** {@code strftime_now(format)}, which llama.cpp and transformers provide (Llama 3.1+ templates use it). */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format);
    }
}
