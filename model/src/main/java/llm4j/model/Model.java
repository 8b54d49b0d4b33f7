package llm4j.model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Optional;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.model.generate.Session;
import llm4j.model.kv.F16KvCache;
import llm4j.model.kv.KvCache;
import llm4j.model.load.ModelSpec;
import llm4j.model.load.SessionMemory;
import llm4j.model.kv.KvGeometry;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.load.WeightBinder;
import llm4j.model.load.WeightQuantizer;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.tokenizer.Tokenizer;

/**
 * A loaded model: its file (kept mapped), hyper-parameters, forward pass and tokenizer. GGUF, SMQ and Hugging Face
 * folders load the same way; only where the description and the tensor names come from differs.
 */
public final class Model implements AutoCloseable {

    private final ModelFile file;
    private final Arena arena;
    private final ModelSpec spec;
    private final Transformer transformer;

    private Model(ModelFile file, Arena arena, ModelSpec spec, Transformer transformer) {
        this.file = file;
        this.arena = arena;
        this.spec = spec;
        this.transformer = transformer;
    }

    /** Maps {@code path} (a GGUF or SMQ file, or a Hugging Face folder) and binds its tensors in place. */
    public static Model load(Path path) throws ModelFormatException {
        return load(path, LoadOptions.DEFAULT);
    }

    public static Model load(Path path, LoadOptions options) throws ModelFormatException {
        ModelFile file = ModelFiles.open(path);
        Arena arena = Arena.ofShared();
        try {
            ModelSpec spec = ModelSpec.of(file);
            ModelConfig config = spec.config();
            Tokenizer tokenizer = spec.tokenizer();
            if (config.vocabSize() != tokenizer.vocabSize()) {
                throw new ModelFormatException(path, -1, "vocabulary has " + tokenizer.vocabSize()
                        + " tokens but the model declares " + config.vocabSize());
            }
            WeightQuantizer quantizer = options.quantizeTo() == null ? null : new WeightQuantizer(options.quantizeTo(), arena);
            ModelWeights weights = WeightBinder.bind(file, config, spec.names(), quantizer);
            float[] ropeFactors = spec.ropeFactors() != null ? spec.ropeFactors() : WeightBinder.ropeFactors(file, config);
            Rope rope = new Rope(config.ropeStyle(), config.ropeDim(), config.ropeBase(), ropeFactors, config.ropeScale());
            return new Model(file, arena, spec, new Transformer(config, weights, rope));
        } catch (ModelFormatException e) {
            arena.close();
            file.close();
            throw e.file() == null ? new ModelFormatException(path, e.offset(), e.problem(), e) : e;
        } catch (RuntimeException e) {
            arena.close();
            file.close();
            throw e;
        }
    }

    public ModelFile file() {
        return file;
    }

    public ModelConfig config() {
        return spec.config();
    }

    public Transformer transformer() {
        return transformer;
    }

    public Tokenizer tokenizer() {
        return spec.tokenizer();
    }

    /** The chat template the model ships with (GGUF tokenizer.chat_template, tokenizer_config.json), if any. */
    public Optional<String> chatTemplate() {
        return spec.chatTemplate();
    }

    /** Sampling settings the model ships with. */
    public GenerationDefaults generationDefaults() {
        return spec.generationDefaults();
    }

    /**
     * Fails with a one-line error unless a session over {@code context} positions, evaluating
     * batches of {@code batch} tokens with {@code logitRows} rows of logits on {@code threads}
     * workers, fits the free heap (see {@link SessionMemory}). Commands call it before allocating,
     * so that a model or a -c too large for memory is an error message, not an OutOfMemoryError.
     */
    public void requireMemoryFor(int context, int batch, int logitRows, int threads) throws ModelFormatException {
        SessionMemory.of(file.path(), spec.config(), context, Short.BYTES, batch, logitRows, threads)
                .requireFits(file.path(), SessionMemory.freeHeap());
    }

    /** The default cache: f16, as llama.cpp keeps it; checked against the free heap first. */
    public KvCache newCache(int context) throws ModelFormatException {
        requireMemoryFor(context, 1, 1, 1);
        ModelConfig config = spec.config();
        return new F16KvCache(config.layers(), context, config.kvHeads(), config.headDim());
    }

    /** A cache with the given types, ladder, cap and overflow policy. */
    public PagedKvCache newCache(int context, KvSettings settings) {
        return new PagedKvCache(KvGeometry.of(spec.config()), context, settings, transformer.rope());
    }

    public Session newSession(KvCache kv, WorkerPool pool, int batchSize) {
        return new Session(transformer, kv, pool, batchSize);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
        file.close();
    }
}
