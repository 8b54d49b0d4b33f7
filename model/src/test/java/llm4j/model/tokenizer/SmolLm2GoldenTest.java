package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hugging Face tokenizers' output for SmolLM2's byte-level BPE (Digits + ByteLevel = llama.cpp's "smollm"). */
class SmolLm2GoldenTest {

    static Stream<Arguments> cases() {
        return SharedData.jsonLines("golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl").stream()
                .map(r -> Arguments.of(r.get("case").asText(), r));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesHuggingFaceTokenizers(String name, JsonNode record) {
        Tokenizer smollm2 = TokenizerFixtures.smollm2();
        String text = record.get("text").asText();

        int[] ids = smollm2.encode(text, false, true);
        assertArrayEquals(SharedData.ints(record.get("ids")), ids, "ids");
        assertArrayEquals(SharedData.ints(record.get("ids_with_special")), smollm2.encode(text, true, true),
                "ids_with_special");
        assertArrayEquals(SharedData.ints(record.get("ids")), smollm2.encode(text, false, false), "without special parsing");
        JsonNode tokens = record.get("tokens");
        for (int i = 0; i < ids.length; i++) {
            assertEquals(tokens.get(i).asText(), smollm2.piece(ids[i]), "token " + i);
        }
        assertEquals(record.get("decoded").asText(), smollm2.decode(SharedData.ints(record.get("ids"))), "decoded");
    }
}
