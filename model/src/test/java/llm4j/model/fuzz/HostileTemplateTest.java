package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import llm4j.model.chat.ChatMessage;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.chat.ChatTemplateException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chat templates written to hurt (templates come from model files and {@code --chat-template FILE}): deep and endless
 * recursion, huge loops and ranges, string and list blow-ups through operators, filters and the Python string methods,
 * file access and reflection. Each one renders to a small output or fails with a one-line
 * {@link ChatTemplateException}, within the sandbox's time limit and the fuzz JVM's 512 MiB heap; reflection and files
 * never yield anything.
 */
class HostileTemplateTest {

    static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello."), ChatMessage.user("Tell me a story."));

    /** The sandbox's output limit (JinjaSandbox.MAX_OUTPUT_CHARS). */
    static final long MAX_OUTPUT = 4L << 20;

    static List<String> hostile() {
        return List.of(
        // recursion
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
        "{% for m in messages recursive %}{{ loop(messages) }}{% endfor %}",
        "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
        "{% set x = {} %}{% do x.update({'self': x}) %}{{ x }}",
        "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
        "{{ " + "(".repeat(65) + "1" + ")".repeat(65) + " }}",
        "{{ " + "[".repeat(200) + "]".repeat(200) + " }}",
        "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000),
        // huge loops and ranges
        "{% for i in range(1000000000) %}x{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ range(1000000000) | list | length }}",
        "{{ range(2000000000) | join(',') }}",
        "{{ range(-1000000000, 1000000000) | sum }}",
        // string and list blow-ups
        "{{ 'a' * 1000000000 }}",
        "{{ ('a' * 4000000) * 4000000 }}",
        "{% set s = 'ab' %}{% for i in range(64) %}{% set s = s ~ s %}{% endfor %}{{ s | length }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        "{{ [0] * 1000000000 }}",
        "{{ ([1] * 100000) * 100000 }}",
        "{{ ('x' * 3000000).replace('', 'y' * 3000000) }}",
        "{{ ('x' * 3000000).join(range(100000)) }}",
        "{{ ('x' * 4000000) | center(2000000000) }}",
        "{{ 'x' | indent(2000000000) }}",
        "{{ 'x' | truncate(2000000000) }}",
        "{{ ('a ' * 2000000) | wordwrap(1) }}",
        "{{ ('a\\n' * 2000000) | indent(1000) }}",
        "{{ '%2000000000d' | format(1) }}",
        "{{ '%.2000000000f' | format(1.5) }}",
        "{{ '%1$2000000000s' | format('x') }}",
        "{{ 'x' | center(2000000000) }}",
        "{{ 'a\nb' | indent(2000000000) }}",
        "{{ 'a\nb' | indent(2000000000, true) }}",
        "{{ 'x y' | wordwrap(2000000000) }}",
        "{{ 'x' | truncate(1, true, '...') | center(100000000) }}",
        "{{ 1 | filesizeformat }}{{ 123456789 | int | float | round(2000000000) }}",
        "{{ range(3) | batch(2000000000) | list }}",
        "{{ range(3) | slice(2000000000) | list }}",
        "{{ 'x' | urlize(2000000000) }}",
        "{{ 'x' ~ (' ' | center(4000000)) ~ (' ' | center(4000000)) }}",
        "{{ ('x' * 4000000) | replace('x', 'yyyyyyyyyy') }}",
        "{{ ('x ' * 2000000).split() | join('zzzzzzzz') }}",
        "{{ (('x' * 4000000) ~ ('x' * 4000000)) | length }}",
        "{{ messages | map(attribute='content') | join('x' * 4000000) * 100 }}",
        "{{ range(5000000) | list }}",
        "{{ 10 ** 100000000 }}",
        "{{ 2 ** 2 ** 2 ** 2 ** 2 ** 2 }}",
        "{{ (9 ** 999999) | string | length }}",
        // files and classes
        "{% include '/etc/passwd' %}",
        "{% import '/etc/passwd' as p %}",
        "{% from '/etc/passwd' import x %}{{ x }}",
        "{% extends '/etc/passwd' %}",
        "{{ ''.getClass().forName('java.lang.Runtime').getRuntime().exec('touch /tmp/llm4j-pwned') }}",
        "{{ messages.getClass().getClassLoader() }}",
        "{{ ''.class.forName('java.lang.System').exit(3) }}",
        "{{ messages[0].class.name }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ self.__dict__ }}",
        "{{ config }}{{ request }}{{ range.__class__ }}",
        "{{ ''|attr('getClass') }}",
        "{{ (messages|first)['getClass']() }}");
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileTemplateIsSmallOutputOrOneLineError(String source) {
        long started = System.nanoTime();
        Object outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try {
                return new ChatTemplate("hostile", source).render(CONVERSATION, true, "<s>", "</s>");
            } catch (ChatTemplateException e) {
                return e;
            }
        }, abbreviate(source));
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (outcome instanceof ChatTemplateException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().length() < 600, e.getMessage());
            System.out.printf("%6d ms refused  %s: %s%n", ms, abbreviate(source), e.getMessage());
        } else {
            String out = (String) outcome;
            assertTrue(out.length() <= MAX_OUTPUT, abbreviate(source) + " rendered " + out.length() + " chars");
            assertFalse(out.contains("java.lang") || out.contains("ClassLoader") || out.contains("root:"),
                    abbreviate(source) + " reached Java or a file: " + abbreviate(out));
            System.out.printf("%6d ms rendered %s: %d chars%n", ms, abbreviate(source), out.length());
        }
        assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of("/tmp/llm4j-pwned")));
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
