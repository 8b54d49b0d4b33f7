package llm4j.model.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import llm4j.model.parallel.RangeTask;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.Vectors;

/**
 * The memory read bandwidth this process gets, measured the way generation uses memory: the pool's
 * threads stream an off-heap buffer (far larger than the last-level cache, so every pass comes from
 * DRAM) through Vector API loads and sum it. The best of a few passes is reported, as a roofline
 * needs the attainable figure, not an average over disturbances from other processes.
 */
public final class MemoryBandwidth implements AutoCloseable {

    /** 256 MiB: eight times the 32 MiB L3 of the machines this project is measured on. */
    public static final long DEFAULT_BYTES = 256L << 20;
    /** Bytes per unit of work handed to a thread: large enough that claiming one costs nothing. */
    static final int BLOCK_BYTES = 1 << 20;
    private static final VectorSpecies<Float> F = Vectors.F;

    private final Arena arena;
    private final MemorySegment buffer;
    private final int blocks;
    /** One sum per pool worker, so the loads cannot be optimized away and threads never share a slot's line. */
    private final float[] sums;
    private final RangeTask pass = this::sumBlocks;
    private volatile float sink;

    /** Allocates and writes {@code bytes} (rounded down to whole MiB, at least one) off the heap. */
    public MemoryBandwidth(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("the buffer needs a positive size, not " + bytes);
        }
        this.blocks = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes / BLOCK_BYTES));
        this.arena = Arena.ofShared();
        this.buffer = arena.allocate((long) blocks * BLOCK_BYTES, 64);
        // written, not just allocated: untouched pages would all map the kernel's one zero page, which stays in cache
        buffer.fill((byte) 0x3c); // every float 0.0115: normal numbers, so the adds run at full speed
        this.sums = new float[64 * 16];
        // the JIT compiles the loop on a cache-resident block first, so no timed pass runs interpreted
        for (int i = 0; i < 64; i++) {
            sumBlocks(0, 1, 0);
        }
    }

    /** Bytes read per pass. */
    public long bytes() {
        return buffer.byteSize();
    }

    /** Best read bandwidth over {@code passes} passes with all of {@code pool}'s threads, in bytes per second. */
    public double measure(WorkerPool pool, int passes) {
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be at least 1, not " + passes);
        }
        if (pool.threads() * 16 > sums.length) {
            throw new IllegalArgumentException("at most " + sums.length / 16 + " threads");
        }
        long best = Long.MAX_VALUE;
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            pool.parallelFor(blocks, pass);
            best = Math.min(best, System.nanoTime() - t0);
        }
        float total = 0;
        for (float s : sums) {
            total += s;
        }
        sink = total;
        return buffer.byteSize() * 1e9 / Math.max(1, best);
    }

    private void sumBlocks(int from, int to, int worker) {
        long start = (long) from * BLOCK_BYTES;
        long end = (long) to * BLOCK_BYTES;
        int step = F.vectorByteSize();
        FloatVector a = FloatVector.zero(F);
        FloatVector b = FloatVector.zero(F);
        FloatVector c = FloatVector.zero(F);
        FloatVector d = FloatVector.zero(F);
        // four independent accumulators: the adds never wait for each other, only for memory
        for (long off = start; off < end; off += 4L * step) {
            a = a.add(FloatVector.fromMemorySegment(F, buffer, off, ByteOrder.nativeOrder()));
            b = b.add(FloatVector.fromMemorySegment(F, buffer, off + step, ByteOrder.nativeOrder()));
            c = c.add(FloatVector.fromMemorySegment(F, buffer, off + 2L * step, ByteOrder.nativeOrder()));
            d = d.add(FloatVector.fromMemorySegment(F, buffer, off + 3L * step, ByteOrder.nativeOrder()));
        }
        sums[worker * 16] += Vectors.sum(a.add(b).add(c.add(d)));
    }

    @Override
    public void close() {
        arena.close();
    }
}
