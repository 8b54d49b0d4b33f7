package llm4j.bench;

import java.util.concurrent.TimeUnit;

import llm4j.quant.GgmlType;
import llm4j.quant.WeightTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Generation's product: one activation vector through a whole matrix on one thread (the per-row
 * Vector API kernel of each type). Default shape 1536 × 1536: rows a multiple of every block size (K-quants need 256).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseParallelGC", "-XX:CompileCommand=quiet", "-XX:CompileCommand=inline,llm4j.quant.Vectors::sum*"})
public class MatVecBench {

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** Vector width in bits; empty = the platform's preferred. */
    @Param({"256", "128", ""})
    public String bits;

    @Param({"1536"})
    public int rows;

    @Param({"1536"})
    public int cols;

    private WeightTensor w;
    private float[] x;
    private float[] out;

    @Setup
    public void setUp() {
        Weights.useBits(bits);
        w = Weights.random(GgmlType.valueOf(type), rows, cols, 1);
        x = Weights.activations(cols, 2);
        out = new float[rows];
    }

    @Benchmark
    public float[] matVec(Throughput t) {
        w.matVec(x, out, 0, rows);
        t.bytes += w.byteSize();
        t.flops += 2L * rows * cols;
        return out;
    }
}
