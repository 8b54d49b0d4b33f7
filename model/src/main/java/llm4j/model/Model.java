package llm4j.model;

import java.nio.file.Path;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.model.generate.Session;
import llm4j.model.kv.F16KvCache;
import llm4j.model.kv.KvCache;
import llm4j.model.kv.KvGeometry;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.WeightBinder;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Tokenizers;

/** A loaded model: its file (kept mapped), hyper-parameters, forward pass and tokenizer. */
public final class Model implements AutoCloseable {

    private final ModelFile file;
    private final ModelConfig config;
    private final Transformer transformer;
    private final Tokenizer tokenizer;

    private Model(ModelFile file, ModelConfig config, Transformer transformer, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
    }

    /** Maps {@code path} and binds its tensors; weights stay packed in the mapping. */
    public static Model load(Path path) throws ModelFormatException {
        ModelFile file = ModelFiles.open(path);
        try {
            Tokenizer tokenizer = Tokenizers.fromMetadata(file.metadata());
            ModelConfig config = GgufConfig.read(file.metadata(), tokenizer.vocabSize());
            if (config.vocabSize() != tokenizer.vocabSize()) {
                throw new ModelFormatException(path, -1, "vocabulary has " + tokenizer.vocabSize()
                        + " tokens but the model declares " + config.vocabSize());
            }
            ModelWeights weights = WeightBinder.bind(file, config);
            Rope rope = new Rope(config.ropeStyle(), config.ropeDim(), config.ropeBase(),
                    WeightBinder.ropeFactors(file, config), config.ropeScale());
            return new Model(file, config, new Transformer(config, weights, rope), tokenizer);
        } catch (ModelFormatException e) {
            file.close();
            throw e.file() == null ? new ModelFormatException(path, e.offset(), e.problem(), e) : e;
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public ModelFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public Transformer transformer() {
        return transformer;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The default cache: f16, as llama.cpp keeps it. */
    public KvCache newCache(int context) {
        return new F16KvCache(config.layers(), context, config.kvHeads(), config.headDim());
    }

    /** A cache with the given types, ladder, cap and overflow policy. */
    public PagedKvCache newCache(int context, KvSettings settings) {
        return new PagedKvCache(KvGeometry.of(config), context, settings, transformer.rope());
    }

    public Session newSession(KvCache kv, WorkerPool pool, int batchSize) {
        return new Session(transformer, kv, pool, batchSize);
    }

    @Override
    public void close() {
        file.close();
    }
}
