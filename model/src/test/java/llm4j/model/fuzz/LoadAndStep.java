package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.model.ModelConfig;
import llm4j.model.Rope;
import llm4j.model.Transformer;
import llm4j.model.generate.Session;
import llm4j.model.kv.F16KvCache;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.SessionMemory;
import llm4j.model.load.WeightBinder;
import llm4j.model.parallel.WorkerPool;

/**
 * Everything a command does with a model file before the first token comes out: open, read the
 * configuration, bind the weights, size the buffers, and run one token through the network. A
 * file that gets through the loader must get through this too, or fail with ModelFormatException.
 */
final class LoadAndStep {

    /** Small enough for thousands of cases, large enough to cover a batch of more than one token. */
    static final int CONTEXT = 8;

    private LoadAndStep() {
    }

    static void run(Path path, WorkerPool pool) throws ModelFormatException {
        try (ModelFile file = ModelFiles.open(path)) {
            Metadata md = file.metadata();
            int vocab = md.has("tokenizer.ggml.tokens") ? md.getStringArray("tokenizer.ggml.tokens").length : 0;
            ModelConfig c = GgufConfig.read(md, vocab);
            Transformer tf = new Transformer(c, WeightBinder.bind(file, c),
                    new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), WeightBinder.ropeFactors(file, c), c.ropeScale()));
            int capacity = Math.min(CONTEXT, c.contextLength());
            SessionMemory.of(path, c, capacity, Short.BYTES, capacity, 1, pool.threads())
                    .requireFits(path, SessionMemory.freeHeap());
            Session session = new Session(tf, new F16KvCache(c.layers(), capacity, c.kvHeads(), c.headDim()), pool, capacity);
            // the first and the last token id, as far as the (possibly one-token) context allows
            session.feed(new int[] {0, c.vocabSize() - 1}, 0, Math.min(2, capacity));
            assertEquals(c.vocabSize(), session.vocabSize());
        }
    }
}
