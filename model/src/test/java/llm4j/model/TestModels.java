package llm4j.model;

import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.model.load.GgufConfig;
import llm4j.model.load.WeightBinder;
import llm4j.testdata.SharedData;

/** Builds transformers straight from shared GGUF files, without a tokenizer, for forward-pass tests. */
final class TestModels {

    private TestModels() {
    }

    record Loaded(ModelFile file, ModelConfig config, Transformer transformer) implements AutoCloseable {
        @Override
        public void close() {
            file.close();
        }
    }

    static Loaded gguf(String relativeToModels) throws Exception {
        ModelFile file = ModelFiles.open(SharedData.model(relativeToModels));
        int vocab = file.metadata().getStringArray("tokenizer.ggml.tokens").length;
        ModelConfig c = GgufConfig.read(file.metadata(), vocab);
        Transformer tf = new Transformer(c, WeightBinder.bind(file, c),
                new Rope(c.ropeStyle(), c.ropeDim(), c.ropeBase(), WeightBinder.ropeFactors(file, c), c.ropeScale()));
        return new Loaded(file, c, tf);
    }
}
