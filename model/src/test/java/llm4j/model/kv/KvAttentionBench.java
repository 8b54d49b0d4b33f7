package llm4j.model.kv;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Attention alone, in thread CPU time (robust to a busy machine): SmolLM2-135M's shape (30 layers,
 * 9 query heads on 3 KV heads of 64) over {@code -Dkv.depth} positions, one thread.
 * Run with {@code -Dkv.attn=1}.
 */
@EnabledIfSystemProperty(named = "kv.attn", matches = ".+")
class KvAttentionBench {

    @Test
    void attentionCostPerToken() {
        int layers = 30;
        int heads = 9;
        int kvHeads = 3;
        int headDim = 64;
        int depth = Integer.getInteger("kv.depth", 2048);
        String[] types = System.getProperty("kv.types", "f32,f16,bf16,q8_0,q5_0,q4_1,q4_0,nf4").split(",");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        KvGeometry g = new KvGeometry(layers, kvHeads, headDim);
        Random rnd = new Random(3);
        float[] k = new float[g.kvDim()];
        float[] v = new float[g.kvDim()];
        float[] q = new float[heads * headDim];
        float[] out = new float[heads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        for (int round = 0; round < 3; round++) {
            for (String t : types) {
                KvCodec c = KvCodecs.byName(t);
                PagedKvCache cache = new PagedKvCache(g, depth, KvSettings.of(c, c).withRotation(KvRotation.OFF), null);
                cache.reserve(0, depth);
                for (int p = 0; p < depth; p++) {
                    for (int l = 0; l < layers; l++) {
                        for (int i = 0; i < k.length; i++) {
                            k[i] = (float) rnd.nextGaussian();
                            v[i] = (float) rnd.nextGaussian();
                        }
                        cache.store(l, p, k, 0, v, 0);
                    }
                }
                float[] scratch = new float[cache.scratchFloats(depth, heads / kvHeads)];
                int reps = round == 2 ? 5 : 1;
                long a0 = ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes();
                long c0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < reps; r++) {
                    for (int l = 0; l < layers; l++) {
                        for (int kh = 0; kh < kvHeads; kh++) {
                            int group = heads / kvHeads;
                            cache.attendGroup(l, kh, group, headDim, q, kh * group * headDim, 0, depth, 0.125f, scratch, out,
                                    kh * group * headDim);
                        }
                    }
                }
                double ms = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / reps;
                long allocated = (((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes() - a0) / reps;
                if (round == 2) {
                    System.out.printf("kv-attn %-5s depth %d: %.2f ms CPU per token (%.2f ns per position-head), %d bytes allocated%n", t,
                            depth, ms, ms * 1e6 / ((double) depth * layers * heads), allocated);
                }
            }
        }
    }
}
