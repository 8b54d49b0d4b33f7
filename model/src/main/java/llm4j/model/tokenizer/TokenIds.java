package llm4j.model.tokenizer;

import java.util.Arrays;

/** A growable list of token ids without boxing. */
final class TokenIds {

    private int[] ids = new int[16];
    private int size;

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    void addAll(int[] more) {
        if (size + more.length > ids.length) {
            ids = Arrays.copyOf(ids, Math.max(size * 2, size + more.length));
        }
        System.arraycopy(more, 0, ids, size, more.length);
        size += more.length;
    }

    /** The last id, or -1 when empty. */
    int last() {
        return size == 0 ? -1 : ids[size - 1];
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
