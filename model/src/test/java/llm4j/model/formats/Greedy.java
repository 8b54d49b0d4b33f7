package llm4j.model.formats;

import java.util.Arrays;

import llm4j.model.Model;
import llm4j.model.generate.Generator;
import llm4j.model.generate.Session;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.sample.Sampler;
import llm4j.model.sample.SamplerSettings;

/** Greedy decoding the way {@code llm4j run --temp 0} does it: the model's default cache, no stop token. */
final class Greedy {

    private Greedy() {
    }

    static int[] decode(Model m, int[] prompt, int n, WorkerPool pool) throws llm4j.loader.ModelFormatException {
        Session session = m.newSession(m.newCache(Math.min(m.config().contextLength(), 256)), pool, 64);
        int[] out = new int[n];
        int[] count = {0};
        Generator.generate(session, prompt, n, new Sampler(SamplerSettings.greedy(), m.config().vocabSize()), t -> false, t -> {
            out[count[0]++] = t;
            return true;
        });
        return Arrays.copyOf(out, count[0]);
    }
}
