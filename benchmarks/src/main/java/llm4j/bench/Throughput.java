package llm4j.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Derived rates JMH prints next to ops/s: each invocation adds its packed weight bytes and its
 * floating-point operations, and JMH divides the totals by the measured time. So {@code bytes} is
 * bytes/s of weights streamed (÷1e9 = GB/s) and {@code flops} is FLOP/s (÷1e9 = GFLOP/s), where one
 * product of a rows × cols matrix with n activation vectors counts 2·rows·cols·n operations (a
 * multiply and an add per weight and token, as BLAS counts GEMM).
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class Throughput {

    public long bytes;
    public long flops;

    @Setup(Level.Iteration)
    public void clear() {
        bytes = 0;
        flops = 0;
    }
}
