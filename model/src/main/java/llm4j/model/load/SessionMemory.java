package llm4j.model.load;

import java.nio.file.Path;

import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;

/**
 * The heap a session of a model will allocate (KV cache, activation buffers, logits), computed
 * before anything is allocated and checked against the heap that is free. A file's widths are
 * backed by its tensors, but quantized tensors are cheap: a 90 MB Q2_K file can declare KV heads
 * wide enough to need 16 GB of cache at a 4096-token context. Without this check that is an
 * OutOfMemoryError deep in a constructor; with it, one line naming the file and the sizes.
 *
 * @param kvBytes         keys and values of every layer and position
 * @param activationBytes per-batch buffers, per-thread attention scratch and logits
 */
public record SessionMemory(long kvBytes, long activationBytes) {

    /** Largest Java array: element counts of any one buffer must stay below it. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    public long totalBytes() {
        return kvBytes + activationBytes;
    }

    /**
     * Sizes a session (all arithmetic in exact longs: the inputs are bounded by {@link ModelLimits}
     * and the CLI's flags, so no product overflows, and any that would throws).
     *
     * @param context       positions the KV cache holds
     * @param kvValueBytes  bytes per cached value (2 for f16, 4 for f32)
     * @param batch         tokens per forward batch
     * @param logitRows     rows of logits kept per batch
     * @param threads       worker threads (each has its own attention scratch)
     */
    public static SessionMemory of(Path file, ModelConfig c, int context, int kvValueBytes, int batch, int logitRows,
                                   int threads) throws ModelFormatException {
        long perLayerValues = Math.multiplyExact((long) context, c.kvDim());
        requireArray(file, perLayerValues, "a KV cache layer of " + context + " positions x " + c.kvDim());
        long kv = Math.multiplyExact(Math.multiplyExact(2L * c.layers(), perLayerValues), kvValueBytes);

        // ForwardState: x, xb2 (dim); xb (max of dim, qDim); q, att (qDim); k, v (kvDim);
        // hb, hb2 (hidden); cos, sin (ropeDim / 2 each)
        long perToken = 2L * c.dim() + Math.max(c.dim(), c.qDim()) + 2L * c.qDim() + 2L * c.kvDim()
                + 2L * c.hiddenDim() + c.ropeDim();
        long widest = Math.max(Math.max(c.dim(), c.qDim()), c.hiddenDim());
        requireArray(file, Math.multiplyExact((long) batch, widest), "an activation buffer of " + batch + " tokens x " + widest);
        long logits = Math.multiplyExact((long) logitRows, c.vocabSize());
        requireArray(file, logits, logitRows + " rows of logits over " + c.vocabSize() + " tokens");
        long scratch = Math.multiplyExact((long) threads, (long) context + c.headDim());
        long floats = Math.addExact(Math.addExact(Math.multiplyExact((long) batch, perToken), scratch), logits);
        return new SessionMemory(kv, Math.multiplyExact(floats, Float.BYTES));
    }

    /** Fails unless the session fits in {@code availableBytes} of heap. */
    public void requireFits(Path file, long availableBytes) throws ModelFormatException {
        if (totalBytes() > availableBytes) {
            throw new ModelFormatException(file, -1, "this model needs " + mib(totalBytes()) + " for the session (KV cache "
                    + mib(kvBytes) + ", buffers " + mib(activationBytes) + ") but only " + mib(availableBytes)
                    + " of heap is free; use a smaller context (-c) or batch, or a larger -Xmx");
        }
    }

    /** Heap the JVM can still grow into: the maximum less what is in use now. */
    public static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    private static void requireArray(Path file, long elements, String what) throws ModelFormatException {
        if (elements > MAX_ARRAY) {
            throw new ModelFormatException(file, -1, what + " would need " + elements
                    + " values in one array, more than Java allows; use a smaller context (-c) or batch");
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
