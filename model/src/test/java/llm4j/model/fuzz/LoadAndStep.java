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
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Tokenizers;

/**
 * Everything a command does with a model file before the first token comes out: open, read the
 * configuration, bind the weights, size the buffers, build the tokenizer, and run a short prompt through the network. A
 * file that gets through the loader must get through this too, or fail with ModelFormatException.
 */
final class LoadAndStep {

    /** Small enough for thousands of cases, large enough to cover a batch of more than one token. */
    static final int CONTEXT = 8;
    static final int FED_TOKENS = 2;
    /**
     * First the text of the extra token HostileConfigTest appends to a vocabulary (so that it is fed),
     * then words, a letter outside ASCII and a control token's text for the tokenizer.
     */
    static final String PROMPT = "zzzzqqq Once upon é</s>";

    private LoadAndStep() {
    }

    static void run(Path path, WorkerPool pool) throws ModelFormatException {
        try (ModelFile file = ModelFiles.open(path)) {
            Metadata md = file.metadata();
            Tokenizer tokenizer = Tokenizers.fromMetadata(md);
            ModelConfig c = GgufConfig.read(md, tokenizer.vocabSize());
            Transformer tf = new Transformer(c, WeightBinder.bind(file, c),
                    new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), WeightBinder.ropeFactors(file, c), c.ropeScale()));
            int capacity = Math.min(CONTEXT, c.contextLength());
            SessionMemory.of(path, c, capacity, Short.BYTES, capacity, 1, pool.threads())
                    .requireFits(path, SessionMemory.freeHeap());
            Session session = new Session(tf, new F16KvCache(c.layers(), capacity, c.kvHeads(), c.headDim()), pool, capacity);
            int[] prompt = tokenizer.encode(PROMPT, true, true);
            tokenizer.decode(prompt);
            // BOS and the prompt's first token (a batch of two), as far as a one-token context allows;
            // every further token would only multiply the kernel time of thousands of cases
            session.feed(prompt, 0, Math.min(Math.min(prompt.length, capacity), FED_TOKENS));
            assertEquals(c.vocabSize(), session.vocabSize());
        }
    }
}
