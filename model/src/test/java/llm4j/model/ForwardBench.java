package llm4j.model;

import java.lang.management.ManagementFactory;
import com.sun.management.ThreadMXBean;
import java.nio.file.Path;

import llm4j.model.kv.KvCache;
import llm4j.model.parallel.WorkerPool;

/**
 * Prefill and generation speed of the bare forward pass (no tokenizer, no sampler), llama-bench's
 * pp/tg tests, for A/B runs of kernels until {@code llm4j bench} exists:
 * <pre>
 * mvn -q -B -o -pl model -am test-compile
 * java $FLAGS -cp model/target/test-classes:cli/target/llm4j-cli.jar:cli/target/lib/* llm4j.model.ForwardBench MODEL [pp] [tg] [reps] [threads]
 * </pre>
 * The first repetition warms the JIT up and is not reported.
 */
public final class ForwardBench {

    /** At -t 1 the caller does all the work, so its CPU time is a rate that other load on the machine barely moves. */
    private static final ThreadMXBean CPU = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ForwardBench() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        int pp = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int tg = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        try (Model m = Model.load(path); WorkerPool pool = new WorkerPool(threads)) {
            Transformer tr = m.transformer();
            int vocab = m.config().vocabSize();
            int[] tokens = new int[Math.max(pp, tg)];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (int) ((i * 2654435761L) % vocab);
            }
            for (int r = 0; r <= reps; r++) {
                double ppRate = 0;
                double ppCpu = 0;
                double tgCpu = 0;
                long tgAlloc = 0;
                if (pp > 0) {
                    KvCache kv = m.newCache(pp + 1);
                    ForwardState s = tr.newState(pp, 1, threads, kv);
                    long t0 = System.nanoTime();
                    long c0 = CPU.getCurrentThreadCpuTime();
                    tr.forward(s, kv, pool, tokens, 0, pp, 0, 1);
                    ppRate = pp / ((System.nanoTime() - t0) / 1e9);
                    ppCpu = pp / ((CPU.getCurrentThreadCpuTime() - c0) / 1e9);
                }
                double tgRate = 0;
                if (tg > 0) {
                    KvCache kv = m.newCache(tg + 1);
                    ForwardState s = tr.newState(1, 1, threads, kv);
                    long t0 = System.nanoTime();
                    long c0 = CPU.getCurrentThreadCpuTime();
                    long a0 = CPU.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < tg; i++) {
                        tr.forward(s, kv, pool, tokens, i, 1, i, 1);
                    }
                    tgRate = tg / ((System.nanoTime() - t0) / 1e9);
                    tgCpu = tg / ((CPU.getCurrentThreadCpuTime() - c0) / 1e9);
                    tgAlloc = (CPU.getCurrentThreadAllocatedBytes() - a0) / tg;
                }
                System.out.printf("%s rep %d t=%d: pp%d %.1f t/s (caller CPU %.1f)  tg%d %.1f t/s (caller CPU %.1f, %d B allocated/token)%s%n",
                        path.getFileName(), r, threads, pp, ppRate, ppCpu, tg, tgRate, tgCpu, tgAlloc, r == 0 ? " (warm-up)" : "");
            }
        }
    }
}
