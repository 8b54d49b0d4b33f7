package llm4j.cli;

import llm4j.loader.gguf.GgufWriter;

/** Shows progress only once a write has taken a second: quick jobs stay silent. */
final class DelayedProgress implements GgufWriter.Progress {

    private static final long DELAY_NANOS = 1_000_000_000L;

    private final GgufWriter.Progress inner;
    private final long start = System.nanoTime();
    private boolean started;

    DelayedProgress(GgufWriter.Progress inner) {
        this.inner = inner;
    }

    @Override
    public void update(long written, long total) {
        if (!started && System.nanoTime() - start < DELAY_NANOS) {
            return;
        }
        started = true;
        inner.update(written, total);
    }
}
