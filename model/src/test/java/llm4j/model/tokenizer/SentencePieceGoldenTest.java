package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every case of llama-tokenize's goldens for the two SentencePiece vocabularies. */
class SentencePieceGoldenTest {

    static Stream<Arguments> cases() {
        return Stream.concat(
                cases("golden/tokenizer/stories260k-spm-512.jsonl", TokenizerFixtures::stories260k),
                cases("golden/tokenizer/llama2-spm-32000.jsonl", TokenizerFixtures::llama2));
    }

    private static Stream<Arguments> cases(String file, Supplier<Tokenizer> tokenizer) {
        List<JsonNode> records = SharedData.jsonLines(file);
        return records.stream().map(r -> Arguments.of(file.substring(file.lastIndexOf('/') + 1) + " " + r.get("case").asText(),
                r, tokenizer));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesLlamaTokenize(String name, JsonNode record, Supplier<Tokenizer> tokenizerSupplier) {
        Tokenizer tokenizer = tokenizerSupplier.get();
        String text = record.get("text").asText();

        int[] ids = tokenizer.encode(text, false, true);
        assertArrayEquals(SharedData.ints(record.get("ids")), ids, "ids");
        assertArrayEquals(SharedData.ints(record.get("ids_with_bos")), tokenizer.encode(text, true, true), "ids_with_bos");
        assertArrayEquals(SharedData.ints(record.get("ids_no_parse_special")), tokenizer.encode(text, false, false),
                "ids_no_parse_special");
        JsonNode pieces = record.get("pieces");
        for (int i = 0; i < ids.length; i++) {
            assertEquals(pieces.get(i).asText(), tokenizer.piece(ids[i]), "piece " + i);
        }
        assertEquals(text, tokenizer.decode(ids), "decode of the ids");
    }
}
