package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.model.ForwardState;
import llm4j.model.Model;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.perplexity.Perplexity;
import llm4j.model.synth.KeyOutliers;
import llm4j.model.synth.SynthModel;
import llm4j.model.synth.SynthShape;
import llm4j.model.synth.SynthType;
import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #8's quality lines, on a slice of golden/corpus.txt (c=256; the full-corpus figures are in
 * docs/kv-cache.md): mean KL divergence of each quantized cache against an f32 cache on the same
 * weights. q8_0 stays under 1e-3 on stories260K (head_dim 8) and on the random head_dim-64 model;
 * rotation does not hurt q4_0, and beats no rotation on a head_dim-64 model whose keys have outlier
 * channels; the cap's ladder lands between its rungs; and on random-llama-256d
 * our q4_0 cache moves the final logits less than llama.cpp's q4_0 cache does (its KLD computed
 * from golden/logits/random-llama-256d-final-logits.json).
 */
class KvQualityTest {

    /** 8 chunks (8 x 127 rows): enough for the means to separate, well under a second per cache. */
    private static final int CHUNKS = 8;
    private static final int CTX = 256;

    private static KvCodec type(String name) {
        return KvCodecs.byName(name);
    }

    /** Mean KLD per cache setting against an f32 cache, over the first chunks of the corpus (CHUNKS unless given). */
    private static double[] meanKlds(String model, int batch, KvSettings... settings) throws Exception {
        return meanKlds(SharedData.model(model), CHUNKS, batch, settings);
    }

    private static double[] meanKlds(Path model, int chunks, int batch, KvSettings... settings) throws Exception {
        try (Model m = Model.load(model); WorkerPool pool = new WorkerPool(1)) {
            int[] all = m.tokenizer().encode(Files.readString(SharedData.file("golden/corpus.txt")), true, false);
            int[] tokens = Arrays.copyOf(all, chunks * CTX);
            int vocab = m.config().vocabSize();
            List<float[]> base = new ArrayList<>();
            Perplexity ppl = new Perplexity(m.transformer(), pool);
            ppl.run(tokens, CTX, batch, m.tokenizer().bos(), m.newCache(CTX, KvSettings.of(type("f32"), type("f32"))),
                    (c, i, logits, off, v, target) -> {
                        float[] row = new float[vocab];
                        logSoftmax(logits, off, vocab, row);
                        base.add(row);
                    }, null);
            double[] out = new double[settings.length];
            for (int s = 0; s < settings.length; s++) {
                double[] sum = {0};
                int[] rows = {0};
                float[] row = new float[vocab];
                ppl.run(tokens, CTX, batch, m.tokenizer().bos(), m.newCache(CTX, settings[s]), (c, i, logits, off, v, target) -> {
                    logSoftmax(logits, off, vocab, row);
                    float[] b = base.get(rows[0]++);
                    for (int t = 0; t < vocab; t++) {
                        sum[0] += Math.exp(b[t]) * (b[t] - row[t]);
                    }
                }, null);
                out[s] = sum[0] / rows[0];
                System.out.printf("%s %s: mean KLD %.4g%n", model.getFileName(), settings[s], out[s]);
            }
            return out;
        }
    }

    private static KvSettings both(String t) {
        return KvSettings.of(type(t), type(t));
    }

    @Test
    void q8_0StaysUnder1e3OnStoriesAndTheDefaultTakesTheBetterRotation() throws Exception {
        double[] k = meanKlds("gguf/stories260K.gguf", CTX, both("q8_0"), both("q4_0"), both("q4_0").withRotation(KvRotation.ON),
                both("q4_0").withRotation(KvRotation.OFF), both("f32").withKeyTreatment(KvRotation.ON));
        assertTrue(k[0] <= 1e-3, "q8_0 " + k[0]);
        // rotation and smoothing are exact for q·k (the query gets the same rotation after RoPE and the inverse
        // scales): on unquantized keys only float rounding is left (1e-9 measured; a query
        // missing the keys' rotation would be off by the whole rotation)
        assertTrue(k[4] < 1e-6, "f32 keys rotated and smoothed " + k[4]);
        // head_dim 8: an 8-wide rotation does not help (blocks span four heads); the default leaves it off
        assertTrue(k[1] <= k[2] && k[1] <= k[3], "q4_0 default " + k[1] + ", rotated " + k[2] + ", not " + k[3]);
    }

    @Test
    void q8_0StaysUnder1e3AndRotationHelpsQ4_0OnHeadDim64() throws Exception {
        double[] k = meanKlds("gguf/random-llama-256d-F32.gguf", CTX, both("q8_0"), both("q4_0"), both("q4_0").withRotation(KvRotation.OFF));
        assertTrue(k[0] <= 1e-3, "q8_0 " + k[0]);
        assertTrue(k[1] <= k[2], "q4_0 rotated " + k[1] + " vs not " + k[2]);
    }

    /**
     * Issue #8's line "q4_0 with rotation <= without", where it means something: the tiny head_dim-64 shape
     * with two rotary pairs per KV head 16x louder in every attn_k (synth --key-outliers 2:16), as trained
     * models' keys have. Random weights without outliers (above) give rotation nothing to spread.
     */
    @Test
    void rotationBeatsNoRotationOnKeysWithOutlierChannels(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny-key-outliers.gguf");
        SynthModel.write(SynthModel.Spec.of(SynthShape.TINY, SynthType.F32, SynthModel.DEFAULT_SEED)
                .withKeyOutliers(new KeyOutliers(2, 16f)), model, 1, (done, total) -> { });
        KvSettings keysOnly = KvSettings.of(type("q4_0"), type("f32"));
        // 4 chunks keep it to a few seconds; the margins below hold at 4, 8 and 100 chunks (docs/kv-cache.md)
        double[] k = meanKlds(model, 4, CTX, both("q4_0"), both("q4_0").withRotation(KvRotation.OFF),
                keysOnly, keysOnly.withRotation(KvRotation.OFF));
        // the default rotates at head_dim 64; with q4_0 values too, most of the KLD is the values'
        assertTrue(k[0] < k[1], "q4_0 default (rotated) " + k[0] + " vs not rotated " + k[1]);
        // keys alone: rotation spreads the loud pairs over the head and cuts the KLD by more than half
        assertTrue(k[2] < 0.5 * k[3], "q4_0 keys rotated " + k[2] + " vs not " + k[3]);
    }

    @Test
    void theLadderLiesBetweenItsRungs() throws Exception {
        // 100K holds 256 positions only with most of them below f16 (f16 needs 160K): sinks and 32 recent stay f16.
        // Batches of 32 let the cache requantize between them, as generation does token by token.
        KvSettings ladder = KvSettings.defaults().withCap(100 * 1024, KvOverflow.ERROR).withKeepRecent(32);
        // the rungs with the ladder's key treatment (rotation and smoothing are on when a rung is below 8 bits)
        double[] k = meanKlds("gguf/stories260K.gguf", 32, ladder, both("f16").withKeyTreatment(KvRotation.ON),
                both("q4_0"));
        assertTrue(k[1] < k[0] && k[0] < k[2], "f16 " + k[1] + " < ladder " + k[0] + " < q4_0 " + k[2]);
    }

    @Test
    void q4_0MovesTheLogitsLessThanLlamaCppsQ4_0() throws Exception {
        JsonNode golden = SharedData.json("golden/logits/random-llama-256d-final-logits.json");
        double ours = 0;
        double theirs = 0;
        int prompts = 0;
        try (Model m = Model.load(SharedData.model("gguf/random-llama-256d-F32.gguf")); WorkerPool pool = new WorkerPool(1)) {
            for (JsonNode f32 : golden.get("records")) {
                if (!f32.get("weights").asText().equals("F32") || !f32.get("kv_cache").asText().startsWith("f32")) {
                    continue;
                }
                int[] ids = SharedData.ints(f32.get("prompt_ids"));
                float[] base = SharedData.floats(f32.get("logits"));
                JsonNode q4 = null;
                for (JsonNode r : golden.get("records")) {
                    if (r.get("weights").asText().equals("F32") && r.get("kv_cache").asText().startsWith("q4_0")
                            && r.get("prompt_ids").equals(f32.get("prompt_ids"))) {
                        q4 = r;
                    }
                }
                PagedKvCache kv = m.newCache(256, both("q4_0"));
                ForwardState s = m.transformer().newState(ids.length, 1, 1, kv);
                m.transformer().forward(s, kv, pool, ids, 0, ids.length, 0, 1);
                ours += kld(base, Arrays.copyOf(s.logits, base.length));
                theirs += kld(base, SharedData.floats(q4.get("logits")));
                prompts++;
            }
        }
        assertEquals(2, prompts);
        System.out.printf("random-llama-256d final logits, mean KLD vs llama.cpp's f32 cache: q4_0 ours %.3g, llama.cpp %.3g%n",
                ours / prompts, theirs / prompts);
        assertTrue(theirs > 1e-4, "llama.cpp's q4_0 KLD from the golden: " + theirs / prompts);
        assertTrue(ours < theirs, "ours " + ours / prompts + " vs llama.cpp " + theirs / prompts);
    }

    private static void logSoftmax(float[] logits, int offset, int vocab, float[] dst) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        double log = max + Math.log(sum);
        for (int i = 0; i < vocab; i++) {
            dst[i] = (float) (logits[offset + i] - log);
        }
    }

    private static double kld(float[] p, float[] q) {
        float[] lp = new float[p.length];
        float[] lq = new float[q.length];
        logSoftmax(p, 0, p.length, lp);
        logSoftmax(q, 0, q.length, lq);
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            sum += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        return sum;
    }
}
