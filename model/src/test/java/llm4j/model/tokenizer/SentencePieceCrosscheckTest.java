package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** llama.cpp's own 46 SentencePiece test vectors (whitespace runs, emoji, Cyrillic, Khmer, ...) on Llama-2. */
class SentencePieceCrosscheckTest {

    private static final String FILE = "golden/tokenizer/crosscheck-ggml-vocab-llama-spm.json";

    static Stream<Arguments> cases() {
        JsonNode golden = SharedData.json(FILE);
        assertEquals(46, golden.get("cases").size(), "case count");
        return StreamSupport.stream(golden.get("cases").spliterator(), false)
                .map(c -> Arguments.of(c.get("index").asInt(), c));
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void matchesLlamaCppTestVector(int index, JsonNode c) {
        Tokenizer llama2 = TokenizerFixtures.llama2();
        String text = c.get("text").asText();
        int[] ids = llama2.encode(text, false, false);
        assertArrayEquals(SharedData.ints(c.get("expected_out")), ids, "test-tokenizer-0 .out");
        assertArrayEquals(SharedData.ints(c.get("llama_tokenize")), ids, "llama-tokenize");
        assertEquals(text, llama2.decode(ids), "decode of the ids");
    }
}
