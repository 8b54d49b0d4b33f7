package llm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.Chars;

/** Streamed in any pieces, the matcher emits exactly the text before the first stop string. */
class StopMatcherTest {

    @Property(tries = 300)
    void emitsTheTextBeforeTheFirstStopHoweverItIsSplit(@ForAll @Chars({'a', 'b', 'c'}) @StringLength(max = 40) String text,
                                                         @ForAll @Chars({'a', 'b', 'c'}) @StringLength(min = 1, max = 3) String stop,
                                                         @ForAll @IntRange(min = 1, max = 5) int piece) {
        StopMatcher m = new StopMatcher(List.of(stop, "cc" + stop));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && !m.stopped(); i += piece) {
            out.append(m.feed(text.substring(i, Math.min(text.length(), i + piece))));
        }
        out.append(m.flush());
        int at = text.indexOf(stop);
        int other = text.indexOf("cc" + stop);
        int first = at < 0 ? other : other < 0 ? at : Math.min(at, other);
        assertEquals(first < 0 ? text : text.substring(0, first), out.toString());
        assertEquals(first >= 0, m.stopped());
    }
}
