package llm4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Cuts the texts of special tokens out of the input before the real tokenizer sees it, as llama.cpp does:
 * longest special texts first, each one split out of whatever plain text the previous ones left, so that a
 * longer token is never broken up by a shorter one it contains.
 */
final class SpecialTokenSplitter {

    private final Vocabulary vocabulary;
    /** Control, user-defined and unknown tokens, longest text first (ties by id, for a repeatable order). */
    private final int[] specialIds;

    SpecialTokenSplitter(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.specialIds = IntStream.range(0, vocabulary.size())
                .filter(id -> vocabulary.type(id).isSpecial() && !vocabulary.text(id).isEmpty())
                .boxed()
                .sorted(Comparator.comparingInt((Integer id) -> -vocabulary.text(id).length()).thenComparing(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * The fragments of {@code text}. Without {@code parseSpecial} only user-defined tokens are cut out:
     * llama.cpp (like Hugging Face tokenizers) always treats those as atomic.
     */
    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment.Text(text));
        for (int id : specialIds) {
            if (!parseSpecial && vocabulary.type(id).isParsedOnRequest()) {
                continue;
            }
            fragments = cutOut(fragments, vocabulary.text(id), id);
        }
        return fragments;
    }

    private static List<Fragment> cutOut(List<Fragment> fragments, String special, int id) {
        List<Fragment> out = new ArrayList<>(fragments.size());
        for (Fragment fragment : fragments) {
            if (!(fragment instanceof Fragment.Text(String text)) || !text.contains(special)) {
                out.add(fragment);
                continue;
            }
            int from = 0;
            for (int at = text.indexOf(special); at >= 0; at = text.indexOf(special, from)) {
                if (at > from) {
                    out.add(new Fragment.Text(text.substring(from, at)));
                }
                out.add(new Fragment.Token(id));
                from = at + special.length();
            }
            if (from < text.length()) {
                out.add(new Fragment.Text(text.substring(from)));
            }
        }
        return out;
    }
}
