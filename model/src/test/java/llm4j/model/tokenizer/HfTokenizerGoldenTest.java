package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.ModelFormatException;
import llm4j.model.load.HfFolder;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both tokenizer.json tokenizers, built straight from their Hugging Face folders, against the ids, ids with special
 * tokens and decoded text of the Hugging Face tokenizers library (golden/tokenizer/*bpe*.jsonl).
 */
class HfTokenizerGoldenTest {

    private static final Map<String, Tokenizer> LOADED = new HashMap<>();

    static synchronized Tokenizer tokenizer(String folder, int vocab) {
        return LOADED.computeIfAbsent(folder, f -> {
            try {
                Path dir = SharedData.root().resolve("models").resolve(f);
                return HfFolder.read(dir).tokenizer(vocab);
            } catch (ModelFormatException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static Stream<Arguments> cases() {
        Stream<Arguments> story = SharedData.jsonLines("golden/tokenizer/story-llama-2L-128d-bpe-2048.jsonl").stream()
                .map(r -> Arguments.of("story-llama " + r.get("case").asText(), "safetensors/story-llama-2L-128d", 2048, r));
        Stream<Arguments> smol = SharedData.jsonLines("golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl").stream()
                .map(r -> Arguments.of("smollm2 " + r.get("case").asText(), "tokenizers/smollm2-135m-instruct", 49152, r));
        return Stream.concat(story, smol);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesHuggingFaceTokenizers(String name, String folder, int vocab, JsonNode record) {
        Tokenizer t = tokenizer(folder, vocab);
        String text = record.get("text").asText();
        int[] ids = SharedData.ints(record.get("ids"));
        assertArrayEquals(ids, t.encode(text, false, true), "ids");
        assertArrayEquals(SharedData.ints(record.get("ids_with_special")), t.encode(text, true, true), "ids_with_special");
        JsonNode tokens = record.get("tokens");
        for (int i = 0; i < ids.length; i++) {
            assertEquals(tokens.get(i).asText(), t.piece(ids[i]), "token " + i);
        }
        assertEquals(record.get("decoded").asText(), t.decode(ids), "decoded");
    }
}
