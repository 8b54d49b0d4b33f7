package llm4j.model.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFormatException;
import llm4j.model.GenerationDefaults;
import llm4j.model.ModelConfig;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.model.tokenizer.Tokenizers;

/**
 * Everything a model file says besides its tensors: hyper-parameters, tokenizer, the naming scheme of its tensors,
 * chat template and sampling defaults. GGUF and SMQ say it in GGUF-style metadata keys; a Hugging Face folder in
 * config.json, tokenizer.json and their companions.
 *
 * @param ropeFactors per-pair RoPE angle divisors computed from config.json (llama3 scaling), or null: a GGUF file
 *                    carries them as its {@code rope_freqs.weight} tensor, if at all
 */
public record ModelSpec(ModelConfig config, Tokenizer tokenizer, TensorNames names, Optional<String> chatTemplate,
                        GenerationDefaults generationDefaults, float[] ropeFactors) {

    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    public static ModelSpec of(ModelFile file) throws ModelFormatException {
        return switch (file.format()) {
            case "safetensors" -> huggingFace(file);
            default -> fromMetadata(file);
        };
    }

    private static ModelSpec huggingFace(ModelFile file) throws ModelFormatException {
        Path dir = Files.isDirectory(file.path()) ? file.path() : file.path().toAbsolutePath().getParent();
        HfFolder folder = HfFolder.read(dir);
        ModelConfig config = HfConfig.read(folder.config(), dir.resolve(HfFolder.CONFIG));
        Tokenizer tokenizer = folder.tokenizer(config.vocabSize());
        return new ModelSpec(config, tokenizer, TensorNames.HF, folder.chatTemplate(),
                GenerationDefaults.fromGenerationConfig(folder.generationConfig()),
                HfConfig.ropeFactors(folder.config(), config, dir.resolve(HfFolder.CONFIG)));
    }

    private static ModelSpec fromMetadata(ModelFile file) throws ModelFormatException {
        Metadata md = file.metadata();
        if (!md.has("general.architecture")) {
            String why = file.format().equals("smq")
                    ? "this SMQ file has no general.architecture: it is a SmallMind-native checkpoint (GPT-style, anonymous"
                    + " tensor names), which llm4j can inspect but not run; llm4j runs llama-family SMQ files such as"
                    + " 'llm4j convert' writes"
                    : "metadata has no general.architecture";
            throw new ModelFormatException(file.path(), -1, why);
        }
        Tokenizer tokenizer = Tokenizers.fromMetadata(md);
        ModelConfig config = GgufConfig.read(md, tokenizer.vocabSize());
        Optional<String> template = md.has(CHAT_TEMPLATE) ? Optional.of(md.getString(CHAT_TEMPLATE)) : Optional.empty();
        return new ModelSpec(config, tokenizer, TensorNames.GGUF, template, GenerationDefaults.fromMetadata(md), null);
    }
}
