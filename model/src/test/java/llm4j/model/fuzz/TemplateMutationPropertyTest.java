package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;

import llm4j.model.chat.BuiltinTemplates;
import llm4j.model.chat.ChatTemplate;
import llm4j.model.chat.ChatTemplateException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The built-in chat templates mutated at random: fragments of hostile Jinja (loops, ranges, recursion, filters with
 * huge arguments, reflection, includes, deep brackets) inserted, characters deleted and spans duplicated. Whatever
 * comes out must render to at most the sandbox's output limit or fail with a one-line {@link ChatTemplateException},
 * within the time limit; rendered text never shows Java objects.
 */
class TemplateMutationPropertyTest {

    private static final List<String> FRAGMENTS = List.of(
            "{% for i in range(1000000000) %}", "{% endfor %}", "{% if true %}", "{% endif %}", "{{ ", " }}", "{% ", " %}",
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "{{ loop.index }}", "{% set s = s ~ s %}",
            "|center(2000000000)", "|indent(99999999)", "|format(1)", "'%999999999d'", "|join(',')", "|list", "|batch(3)",
            "range(2147483647)", "* 2147483647", "** 999999", "~ messages", ".getClass()", ".class", ".__class__",
            "{% include 'x' %}", "{% import 'x' as y %}", "((((((((((", "))))))))))", "[[[[[[[[", "]]]]]]]]", "{", "}",
            "'", "\"", "\\", "\n", "messages[0]['content']", "raise_exception('no')", "strftime_now('%Y')", "namespace(a=1)",
            "{% raw %}", "{% endraw %}", "{#", "#}", "{%- ", " -%}", "none", "undefined", "1/0", "messages|length");

    private static final List<String> SEEDS = BuiltinTemplates.NAMES.stream().map(n -> BuiltinTemplates.byName(n).source()).toList();

    @Property(tries = 300, seed = "20261204")
    void mutatedTemplatesRenderSmallOrFailInOneLine(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int seed) {
        Random random = new Random(seed);
        StringBuilder source = new StringBuilder(SEEDS.get(random.nextInt(SEEDS.size())));
        for (int m = 1 + random.nextInt(4); m > 0; m--) {
            int at = random.nextInt(source.length() + 1);
            switch (random.nextInt(3)) {
                case 0 -> source.insert(at, FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
                case 1 -> source.delete(at, Math.min(source.length(), at + 1 + random.nextInt(8)));
                default -> {
                    int end = Math.min(source.length(), at + 1 + random.nextInt(40));
                    source.insert(end, source.substring(at, end));
                }
            }
        }
        String template = source.toString();
        Object outcome = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try {
                return new ChatTemplate("mutated", template).render(HostileTemplateTest.CONVERSATION, true, "<s>", "</s>");
            } catch (ChatTemplateException e) {
                return e;
            }
        }, () -> "seed " + seed + ": " + template);
        if (outcome instanceof ChatTemplateException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        } else {
            String out = (String) outcome;
            assertTrue(out.length() <= HostileTemplateTest.MAX_OUTPUT, "seed " + seed + " rendered " + out.length());
            assertFalse(out.contains("java.lang.Class") || out.contains("ClassLoader"), "seed " + seed + ": " + template);
        }
    }
}
