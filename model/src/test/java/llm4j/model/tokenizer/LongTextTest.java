package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/**
 * A megabyte of text tokenizes, and to the same ids as its parts: the merge loops must stay near-linear (a
 * quadratic rescan would not finish within the test run).
 */
class LongTextTest {

    private static final int ONE_MB = 1 << 20;

    /**
     * One megabyte of golden texts joined by {@code </s>}: with special parsing each part is tokenized on its own,
     * and starts with the prefixed space, exactly like the golden ids.
     */
    @Test
    void megabyteOfGoldenTextsSeparatedBySpecialTokens() {
        Tokenizer llama2 = TokenizerFixtures.llama2();
        assertJoinedBySpecialToken(llama2, SharedData.jsonLines("golden/tokenizer/llama2-spm-32000.jsonl"),
                llama2.piece(llama2.eos()), llama2.eos(), ONE_MB);
    }

    /** The same for byte-level BPE and a chat marker, on a quarter of the length. */
    @Test
    void bpeGoldenTextsSeparatedByChatMarkers() {
        Tokenizer smollm2 = TokenizerFixtures.smollm2();
        assertJoinedBySpecialToken(smollm2, SharedData.jsonLines("golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl"),
                "<|im_end|>", idOf(smollm2, "<|im_end|>"), ONE_MB / 4);
    }

    private static void assertJoinedBySpecialToken(Tokenizer tokenizer, List<JsonNode> golden, String separator,
                                                   int separatorId, int minLength) {
        StringBuilder text = new StringBuilder();
        TokenIds expected = new TokenIds();
        while (text.length() < minLength) {
            for (JsonNode record : golden) {
                text.append(record.get("text").asText()).append(separator);
                expected.addAll(SharedData.ints(record.get("ids")));
                expected.add(separatorId);
            }
        }
        assertArrayEquals(expected.toArray(), tokenizer.encode(text.toString(), false, true));
    }

    /**
     * One megabyte without anything to split on beforehand: a single SentencePiece merge run over the whole text.
     * Llama-2 has no piece containing a newline, so each line tokenizes as it would after a lone newline.
     */
    @Test
    void megabyteAsOneSentencePieceRun() {
        Tokenizer llama2 = TokenizerFixtures.llama2();
        List<JsonNode> golden = SharedData.jsonLines("golden/tokenizer/llama2-spm-32000.jsonl");
        StringBuilder text = new StringBuilder(golden.getFirst().get("text").asText());
        TokenIds expected = new TokenIds();
        expected.addAll(SharedData.ints(golden.getFirst().get("ids")));
        int spaceOnly = llama2.encode("\n", false, false)[0]; // "▁" before the newline
        while (text.length() < ONE_MB) {
            for (JsonNode record : golden) {
                String line = record.get("text").asText().replace("\n", " ");
                text.append('\n').append(line);
                int[] afterNewline = llama2.encode("\n" + line, false, false);
                assertEquals(spaceOnly, afterNewline[0]);
                expected.addAll(Arrays.copyOfRange(afterNewline, 1, afterNewline.length));
            }
        }
        int[] ids = llama2.encode(text.toString(), false, false);
        assertArrayEquals(expected.toArray(), ids);
        assertEquals(text.toString(), llama2.decode(ids));
    }

    /** One megabyte-long word: a single byte-level BPE merge run over a million symbols. */
    @Test
    void megabyteAsOneBpeWord() {
        Tokenizer smollm2 = TokenizerFixtures.smollm2();
        String word = "antidisestablishmentarianism".repeat(ONE_MB / 28 + 1);
        int[] ids = smollm2.encode(word, false, false);
        assertEquals(word, smollm2.decode(ids));
    }

    static int idOf(Tokenizer tokenizer, String piece) {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.piece(id).equals(piece)) {
                return id;
            }
        }
        throw new AssertionError(piece + " is not in the vocabulary");
    }
}
