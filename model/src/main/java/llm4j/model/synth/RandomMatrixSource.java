package llm4j.model.synth;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import llm4j.loader.gguf.TensorSink;
import llm4j.loader.gguf.TensorSource;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;

/**
 * The bytes of a {@code rows × cols} matrix of N(0, std²) weights encoded as {@code type}, made on
 * the fly: rows are cut into fixed chunks, each drawn from its own seeded stream and quantized on a
 * worker thread, and one batch of chunks at a time goes to the file. Memory stays at one batch, and
 * the bytes depend only on the seed, never on the number of threads.
 */
final class RandomMatrixSource implements TensorSource {

    /** Elements per chunk: big enough to amortise a task, small enough to balance two cores. */
    private static final int CHUNK_ELEMENTS = 1 << 16;

    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final float std;
    private final long seed;
    private final ExecutorService pool;
    private final int chunksPerBatch;
    /** A factor per row applied after drawing (the key outliers), or null: the draws are the same either way. */
    private final float[] rowGain;

    RandomMatrixSource(GgmlType type, int rows, int cols, float std, long seed, ExecutorService pool, int threads) {
        this(type, rows, cols, std, seed, pool, threads, null);
    }

    RandomMatrixSource(GgmlType type, int rows, int cols, float std, long seed, ExecutorService pool, int threads,
                       float[] rowGain) {
        if (rowGain != null && rowGain.length != rows) {
            throw new IllegalArgumentException(rowGain.length + " row gains for " + rows + " rows");
        }
        this.rowGain = rowGain;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.std = std;
        this.seed = seed;
        this.pool = pool;
        this.chunksPerBatch = 4 * threads;
    }

    @Override
    public void writeTo(TensorSink sink) throws IOException {
        QuantFormat format = QuantFormats.of(type);
        long rowBytes = type.bytesFor(cols);
        int rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / cols);
        int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment batch = arena.allocate(rowBytes * rowsPerChunk * chunksPerBatch, 64);
            for (int first = 0; first < chunks; first += chunksPerBatch) {
                int end = Math.min(chunks, first + chunksPerBatch);
                List<Future<?>> done = new ArrayList<>();
                for (int c = first; c < end; c++) {
                    int chunk = c;
                    int firstRow = c * rowsPerChunk;
                    int n = Math.min(rowsPerChunk, rows - firstRow) * cols;
                    long at = (long) (c - first) * rowsPerChunk * rowBytes;
                    done.add(pool.submit(() -> {
                        float[] values = new float[n];
                        new GaussianNoise(GaussianNoise.derive(seed, chunk)).fill(values, 0, n, std);
                        if (rowGain != null) {
                            for (int i = 0; i < n; i++) {
                                values[i] *= rowGain[firstRow + i / cols];
                            }
                        }
                        format.quantize(values, 0, n, batch, at);
                    }));
                }
                await(done);
                int batchRows = Math.min(rows, end * rowsPerChunk) - first * rowsPerChunk;
                sink.write(batch.asSlice(0, batchRows * rowBytes));
            }
        }
    }

    private static void await(List<Future<?>> tasks) throws IOException {
        try {
            for (Future<?> f : tasks) {
                f.get();
            }
        } catch (InterruptedException e) {
            tasks.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating weights", e);
        } catch (ExecutionException e) {
            tasks.forEach(f -> f.cancel(true));
            throw new IllegalStateException("generating weights failed: " + e.getCause(), e.getCause());
        }
    }
}
