package llm4j.model.kv;

import java.nio.file.Files;
import java.util.Arrays;

import llm4j.model.Model;
import llm4j.model.math.FloatMath;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.perplexity.Perplexity;
import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

@EnabledIfSystemProperty(named = "kv.exp", matches = ".+")
class HeadScaleExperiment {

    /** Simulated quantization: values pass through encode/decode, attention in float. */
    static final class SimCache implements KvCache {
        final int layers, cap, kvDim, headDim;
        final float[][] k, v;
        final KvCodec kc, vc;
        final boolean equalize;
        boolean channels;
        double[][] meanAbs;
        int[] seen;
        SimCache(int layers, int cap, int kvHeads, int headDim, KvCodec kc, KvCodec vc, boolean equalize) {
            this.layers = layers; this.cap = cap; this.kvDim = kvHeads * headDim; this.headDim = headDim;
            k = new float[layers][cap * kvDim]; v = new float[layers][cap * kvDim];
            meanAbs = new double[layers][kvDim]; seen = new int[layers];
            this.kc = kc; this.vc = vc; this.equalize = equalize;
        }
        public int capacity() { return cap; }
        public long bytes() { return 0; }
        void sim(KvCodec c, float[] src, int off, float[] dst, int dOff) {
            float[] row = Arrays.copyOfRange(src, off, off + kvDim);
            float[] s = new float[kvDim / headDim];
            if (equalize) {
                for (int h = 0; h < s.length; h++) {
                    float m = 0; for (int i = 0; i < headDim; i++) m = Math.max(m, Math.abs(row[h * headDim + i]));
                    s[h] = m > 0 ? 1 / m : 1;
                    for (int i = 0; i < headDim; i++) row[h * headDim + i] *= s[h];
                }
            }
            byte[] b = new byte[c.chunkBytes(kvDim)];
            c.encode(row, 0, kvDim, b, 0);
            c.decode(b, 0, 0, kvDim, dst, dOff);
            if (equalize) for (int h = 0; h < s.length; h++) for (int i = 0; i < headDim; i++) dst[dOff + h * headDim + i] /= s[h];
        }
        public int reserve(int position, int n) {
            if (position == 0) { meanAbs = new double[layers][kvDim]; seen = new int[layers]; }
            return 0;
        }
        public void store(int layer, int position, float[] kk, int kOff, float[] vv, int vOff) {
            if (channels) {
                float[] row = Arrays.copyOfRange(kk, kOff, kOff + kvDim);
                float[] sc = new float[kvDim];
                for (int i = 0; i < kvDim; i++) {
                    sc[i] = seen[layer] == 0 ? 1f : (float) (1.0 / Math.max(1e-6, meanAbs[layer][i] / seen[layer]));
                    row[i] *= sc[i];
                }
                for (int i = 0; i < kvDim; i++) meanAbs[layer][i] += Math.abs(kk[kOff + i]);
                seen[layer]++;
                sim(kc, row, 0, k[layer], position * kvDim);
                for (int i = 0; i < kvDim; i++) k[layer][position * kvDim + i] /= sc[i];
            } else
            sim(kc, kk, kOff, k[layer], position * kvDim);
            sim(vc, vv, vOff, v[layer], position * kvDim);
        }
        public void attend(int layer, int kvHead, float[] q, int qOff, int from, int to, float scale, float[] scores, float[] out, int outOff) {
            int n = to - from; int ho = kvHead * headDim;
            for (int i = 0; i < n; i++) scores[i] = scale * FloatMath.dot(q, qOff, k[layer], (from + i) * kvDim + ho, headDim);
            FloatMath.softmax(scores, 0, n);
            Arrays.fill(out, outOff, outOff + headDim, 0f);
            for (int i = 0; i < n; i++) FloatMath.axpy(out, outOff, scores[i], v[layer], (from + i) * kvDim + ho, headDim);
        }
    }

    @Test
    void compare() throws Exception {
        int chunks = Integer.getInteger("kv.chunks", 30);
        try (Model m = Model.load(SharedData.model("gguf/stories260K.gguf")); WorkerPool pool = new WorkerPool(1)) {
            String text = Files.readString(SharedData.file("golden/corpus.txt"));
            int[] tokens = Arrays.copyOf(m.tokenizer().encode(text, true, false), chunks * 256);
            var c = m.config();
            int vocab = c.vocabSize();
            float[][] base = new float[chunks * 127][];
            new Perplexity(m.transformer(), pool).run(tokens, 256, 1, new F32KvCache(c.layers(), 256, c.kvHeads(), c.headDim()),
                    (ch, j, logits, off, vv, t) -> base[ch * 127 + j] = logSoftmax(logits, off, vocab), null);
            String[] variants = System.getProperty("kv.exp").split(",");
            for (String var : variants) {
                String[] p = var.split(":");
                KvCodec kc = KvCodecs.byName(p[0]);
                KvCodec vc = KvCodecs.byName(p[1]);
                boolean eq = p.length > 2 && p[2].equals("eq");
                boolean chan = p.length > 2 && p[2].equals("ch");
                boolean real = p.length > 2 && p[2].startsWith("real");
                KvCache kv = real ? new PagedKvCache(KvGeometry.of(c), 256, KvSettings.of(kc, vc)
                        .withRotation(KvRotation.valueOf(p[3])).withSmoothing(KvRotation.valueOf(p[4])), m.transformer().rope())
                        : new SimCache(c.layers(), 256, c.kvHeads(), c.headDim(), kc, vc, eq);
                if (kv instanceof SimCache sc) {
                    sc.channels = chan;
                }
                double[] kld = new double[1];
                new Perplexity(m.transformer(), pool).run(tokens, 256, 1, kv, (ch, j, logits, off, vv, t) -> {
                    float[] b = base[ch * 127 + j];
                    float[] q = logSoftmax(logits, off, vocab);
                    double s = 0;
                    for (int i = 0; i < vocab; i++) s += Math.exp(b[i]) * (b[i] - q[i]);
                    kld[0] += s;
                }, null);
                System.out.printf("kv-exp %-20s mean KLD %.6f%n", var, kld[0] / (chunks * 127));
            }
        }
    }

    static float[] logSoftmax(float[] x, int off, int n) {
        float[] o = new float[n];
        for (int i = 0; i < n; i++) o[i] = (float) Perplexity.logSoftmaxAt(x, off, n, i);
        return o;
    }
}
