package llm4j.model.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import llm4j.model.GenerationDefaults;
import llm4j.model.tokenizer.Tokenizer;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The companion files of a Hugging Face folder: chat template, generation defaults, special-token hints. */
class HfFolderTest {

    @TempDir
    Path dir;

    private HfFolder folder(String tokenizerConfig, String generationConfig) throws Exception {
        Path story = SharedData.model("safetensors/story-llama-2L-128d/model.safetensors").getParent();
        Files.copy(story.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(story.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        if (tokenizerConfig != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        if (generationConfig != null) {
            Files.writeString(dir.resolve("generation_config.json"), generationConfig);
        }
        return HfFolder.read(dir);
    }

    @Test
    void chatTemplateAsStringOrNamedList() throws Exception {
        assertEquals(Optional.of("{{ messages }}"), folder("{\"chat_template\": \"{{ messages }}\"}", null).chatTemplate());
        Files.delete(dir.resolve("config.json"));
        Files.delete(dir.resolve("tokenizer.json"));
        Files.delete(dir.resolve("tokenizer_config.json"));
        HfFolder named = folder("""
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""", null);
        assertEquals(Optional.of("D"), named.chatTemplate());
    }

    @Test
    void generationConfigGivesDefaultsAndEndTokens() throws Exception {
        HfFolder f = folder(null, """
                {"do_sample": true, "temperature": 0.6, "top_p": 0.9, "top_k": 20, "eos_token_id": [2, 0]}""");
        GenerationDefaults g = GenerationDefaults.fromGenerationConfig(f.generationConfig());
        assertEquals(0.6f, g.temperature());
        assertEquals(0.9f, g.topP());
        assertEquals(20, g.topK());
        assertEquals(Set.of(2, 0), f.hints().eosIds());
        Tokenizer t = f.tokenizer(2048);
        assertTrue(t.isEndOfGeneration(0) && t.isEndOfGeneration(2));
        assertEquals(0f, GenerationDefaults.fromGenerationConfig(
                new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"do_sample\": false, \"temperature\": 0.7}")).temperature());
    }
}
