package llm4j.loader.gguf;

import java.nio.file.Path;

import llm4j.loader.ModelFormatException;

/**
 * Caps the heap a GGUF header may make the parser fill. Bounding each count by the file size is
 * not enough: one byte of a uint8 array becomes eight in a {@code long[]}, twelve bytes of an empty
 * nested array become an object graph of about eighty, so a file of a few hundred megabytes could
 * still decode into gigabytes. Every decoded value is charged an estimate of its heap size before
 * it is allocated, and the parse fails once the total passes the limit.
 */
final class DecodeBudget {

    /** Heap estimates (compressed oops): object and array headers plus fields. */
    static final long STRING_OVERHEAD = 40;
    static final long BOXED_SCALAR = 40;
    static final long NESTED_ARRAY = 80;
    /** A tensor's info record, shape, view, memory segment and two map entries. */
    static final long TENSOR_INFO = 400;
    /** A key's map entries (values and offsets), its value record and boxed scalar. */
    static final long KEY_VALUE_ENTRY = 160;

    private final Path file;
    private final long limit;
    private long used;

    DecodeBudget(Path file, long limit) {
        this.file = file;
        this.limit = limit;
    }

    /** Charges {@code count × each} bytes for the value at {@code at}, or fails when over the limit. */
    void charge(long count, long each, long at, String what) throws ModelFormatException {
        // counts were already bounded by the file size, so the product cannot overflow a long
        long bytes = Math.multiplyExact(count, each);
        used += bytes;
        if (used > limit) {
            throw new ModelFormatException(file, at, what + " would take the decoded header past "
                    + (limit >> 20) + " MiB of memory; no real model needs that much");
        }
    }

    long used() {
        return used;
    }
}
