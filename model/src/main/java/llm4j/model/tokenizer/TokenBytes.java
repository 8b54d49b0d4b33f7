package llm4j.model.tokenizer;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * What each token contributes to generated text, made the first time the token is rendered: a run renders a few
 * hundred distinct tokens of a vocabulary of 32,000-150,000, and making them all up front was part of the load
 * time before the first token.
 */
final class TokenBytes {

    private final IntFunction<byte[]> maker;
    private final AtomicReferenceArray<byte[]> made;

    /** @param maker the bytes of one token id; must give the same bytes on every call */
    TokenBytes(int size, IntFunction<byte[]> maker) {
        this.maker = maker;
        this.made = new AtomicReferenceArray<>(size);
    }

    /** The token's bytes; callers must not modify them. Threads racing on a new id each make it, one copy wins. */
    byte[] of(int id) {
        byte[] bytes = made.get(id);
        if (bytes == null) {
            bytes = maker.apply(id);
            byte[] won = made.compareAndExchange(id, null, bytes);
            if (won != null) {
                bytes = won;
            }
        }
        return bytes;
    }
}
