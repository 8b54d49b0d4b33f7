package llm4j.quant.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;
import llm4j.quant.Vectors;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/**
 * Throughput of the matrix-vector product per weight type on a 576 × 1536 matrix (a small model's
 * FFN shape), in GB/s of packed weights. Not a test. Run from the project root after
 * {@code mvn test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:CompileCommand=quiet -XX:CompileCommand=inline,llm4j.quant.Vectors::sum* \
 *      -Dllm4j.vector.bits=256 -cp quant/target/classes:quant/target/test-classes llm4j.quant.kernel.LegacyKernelBench [types...]
 * </pre>
 * The inline command is the launcher's: without it C2 may leave {@code Vectors.sum} a call, the
 * accumulators get boxed and Q8_0/Q4_0 run at a third of the speed.
 * Add {@code -Dllm4j.kernels=scalar} for the scalar oracles. Times are per-thread CPU time, best of
 * several rounds, so other processes on a shared machine distort them less than wall time would.
 */
public final class LegacyKernelBench {

    private static final int ROWS = 576;
    private static final int COLS = 1536;

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"F32", "F16", "BF16", "Q8_0", "Q5_0", "Q5_1", "Q4_0", "Q4_1"};
        System.out.printf(Locale.ROOT, "%d-bit species, kernels=%s%n", Vectors.bits(), System.getProperty("llm4j.kernels", "vector"));
        for (String name : types) {
            run(GgmlType.byName(name));
        }
    }

    private static void run(GgmlType type) {
        Random rnd = new Random(1);
        float[] weights = new float[ROWS * COLS];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        float[] x = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[ROWS];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(type.bytesFor((long) ROWS * COLS), 64);
            QuantFormats.of(type).quantize(weights, 0, weights.length, data, 0);
            WeightTensor w = WeightTensors.wrap(type, data, ROWS, COLS);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int iterations = 50;
            for (long end = System.nanoTime() + 6_000_000_000L; System.nanoTime() < end; ) {
                w.matVec(x, out, 0, ROWS); // warm up until C2 has compiled kernel and matVec (4-5 s into a run on a busy 2-core machine)
            }
            double bestCpu = Double.MAX_VALUE;
            double bestWall = Double.MAX_VALUE;
            for (int round = 0; round < 30; round++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                for (int it = 0; it < iterations; it++) {
                    w.matVec(x, out, 0, ROWS);
                }
                bestWall = Math.min(bestWall, (System.nanoTime() - wall0) / (double) iterations);
                bestCpu = Math.min(bestCpu, (threads.getCurrentThreadCpuTime() - cpu0) / (double) iterations);
            }
            System.out.printf(Locale.ROOT, "%-5s %7.1f KB  %6.1f us/matvec  %5.2f GB/s  %5.2f Gelem/s  (wall best %.1f us)  [out0=%.4f]%n",
                    type, w.byteSize() / 1024.0, bestCpu / 1e3, w.byteSize() / bestCpu, (double) ROWS * COLS / bestCpu,
                    bestWall / 1e3, out[0]);
        }
    }
}
