package llm4j.model.kv;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The two row kernels alone, per row of a 64-wide head with 3 queries, data in L2 ({@code -Dkv.kernel=1}). */
@EnabledIfSystemProperty(named = "kv.kernel", matches = ".+")
class KvKernelBench {

    @Test
    void rowKernels() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int rows = 1024;
        int hd = 64;
        int queries = 3;
        Random rnd = new Random(5);
        float[] q = new float[queries * hd];
        float[] w = new float[queries * rows];
        float[] out = new float[queries * rows];
        float[] acc = new float[queries * hd];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextFloat() / rows;
        }
        float[] src = new float[hd];
        for (int round = 0; round < 3; round++) {
            for (KvCodec c : KvCodecs.ALL) {
                int rowBytes = c.chunkBytes(hd);
                byte[] data = new byte[rows * rowBytes];
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < hd; i++) {
                        src[i] = (float) rnd.nextGaussian();
                    }
                    c.encode(src, 0, hd, data, r * rowBytes);
                }
                int reps = 200;
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    c.dotRows(q, 0, queries, hd, data, 0, rowBytes, rows, 0, hd, 0.125f, out, 0, rows);
                }
                long t1 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    c.axpyRows(w, 0, queries, rows, data, 0, rowBytes, rows, 0, hd, acc, 0, hd);
                }
                long t2 = mx.getCurrentThreadCpuTime();
                double dotNs = (t1 - t0) / (double) reps / rows;
                double axpyNs = (t2 - t1) / (double) reps / rows;
                if (round == 2) {
                    System.out.printf("kv-kernel %-5s per row (3 queries x 64): dotRows %.1f ns, axpyRows %.1f ns%n", c.name(), dotNs, axpyNs);
                }
            }
        }
        long t0 = mx.getCurrentThreadCpuTime();
        double sink = 0;
        for (int i = 0; i < 200 * rows * queries; i++) {
            sink += Math.exp(-(i & 1023) * 0.01);
        }
        System.out.printf("kv-kernel Math.exp %.1f ns each (%s)%n", (mx.getCurrentThreadCpuTime() - t0) / (200.0 * rows * queries), sink > 0 ? "ok" : "");
    }
}
