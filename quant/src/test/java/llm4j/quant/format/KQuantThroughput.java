package llm4j.quant.format;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

import com.sun.management.ThreadMXBean;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;
import llm4j.quant.Vectors;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/**
 * A warm matVec loop per K-quant type (not a unit test). Prints GB/s of packed weights read per
 * second of this thread's CPU time (wall time is meaningless on a shared machine), best of 20
 * rounds, and bytes allocated per row, which must be 0 (else C2 boxed vectors; see KVectors).
 * Run from the project root after {@code mvn -q test-compile -pl quant -am}:
 * <pre>
 * java --add-modules jdk.incubator.vector -Dllm4j.vector.bits=256 \
 *      -cp quant/target/classes:quant/target/test-classes llm4j.quant.format.KQuantThroughput [types...]
 * </pre>
 * {@code -Dllm4j.kernels=scalar} times the scalar oracles instead; {@code -Dcols=1536} another row
 * length (a multiple of 256); {@code -Drows=32768} a matrix larger than the L3 cache (the default 1,024 rows
 * mostly stay in L2, which can flatter a kernel whose loads the prefetchers follow badly from DRAM). Any type name works, legacy ones too (Q4_0, Q4_1, Q5_0, Q8_0).
 * {@code -Dop=dequantize} times the prefill panel decoder ({@code vectorDequantize}, one row at a time) instead
 * of the matrix-vector product.
 */
public final class KQuantThroughput {

    private static final int ROWS = Integer.getInteger("rows", 1024);
    private static final int COLS = Integer.getInteger("cols", 4096);
    private static final boolean DEQUANTIZE = "dequantize".equals(System.getProperty("op"));

    private KQuantThroughput() {
    }

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"F32", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};
        System.out.printf(Locale.ROOT, "%d-bit vectors, %d x %d matrix%n", Vectors.bits(), ROWS, COLS);
        Random rnd = new Random(42);
        float[] source = new float[ROWS * COLS];
        for (int i = 0; i < source.length; i++) {
            source[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        float[] x = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[ROWS];
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : types) {
                GgmlType type = GgmlType.byName(name);
                MemorySegment packed = arena.allocate(type.bytesFor((long) ROWS * COLS), 64);
                QuantFormats.of(type).quantize(source, 0, source.length, packed, 0);
                WeightTensor w = WeightTensors.wrap(type, packed, ROWS, COLS);
                float[] row = new float[COLS];
                for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                    run(w, x, out, row); // warm-up: lets C2 compile the kernel
                }
                double best = 0;
                long allocated = 0;
                int rows = 0;
                for (int round = 0; round < 20; round++) {
                    long bytes0 = threads.getCurrentThreadAllocatedBytes();
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    int calls = 0;
                    do {
                        run(w, x, out, row);
                        calls++;
                    } while (threads.getCurrentThreadCpuTime() - cpu0 < 200_000_000L);
                    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                    allocated += threads.getCurrentThreadAllocatedBytes() - bytes0;
                    rows += calls * ROWS;
                    best = Math.max(best, (double) w.byteSize() * calls / cpu);
                }
                System.out.printf(Locale.ROOT, "%-5s %6.2f GB/s  %5.2f Gweights/s  %d B allocated/row  (checksum %.4f)%n",
                        name, best, best / type.bitsPerWeight() * 8, allocated / rows, out[0] + out[ROWS - 1] + row[COLS - 1]);
            }
        }
    }

    private static void run(WeightTensor w, float[] x, float[] out, float[] row) {
        if (DEQUANTIZE) {
            for (int r = 0; r < ROWS; r++) {
                w.dequantizeRow(r, row, 0);
            }
        } else {
            w.matVec(x, out, 0, ROWS);
        }
    }
}
