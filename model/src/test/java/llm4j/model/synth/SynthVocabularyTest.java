package llm4j.model.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SynthVocabularyTest {

    private static final String SMOLLM = "models/tokenizers/smollm2-135m-instruct/tokenizer.json";

    /** A consistent BPE vocabulary: unique tokens, every merge joins two tokens into a third that exists. */
    @ParameterizedTest
    @ValueSource(ints = {259, 512, 3000, 49152})
    void placeholderIsAConsistentByteLevelVocabulary(int size) {
        SynthVocabulary v = SynthVocabulary.placeholder(size);
        assertEquals(size, v.size());
        assertEquals(size, v.types().length);
        Set<String> tokens = new HashSet<>();
        for (String t : v.tokens()) {
            assertTrue(tokens.add(t), "duplicate token " + t);
        }
        Set<String> byteTokens = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            byteTokens.add(v.tokens()[3 + b]);
        }
        assertEquals(256, byteTokens.size());
        assertTrue(byteTokens.contains("Ġ") && byteTokens.contains("a") && byteTokens.contains("Ċ"), "GPT-2 byte spelling");
        assertEquals(size - SynthVocabulary.MIN_SIZE, v.merges().length);
        for (int i = 0; i < v.merges().length; i++) {
            String[] parts = v.merges()[i].split(" ");
            assertEquals(2, parts.length);
            assertTrue(tokens.contains(parts[0]) && tokens.contains(parts[1]), v.merges()[i]);
            assertEquals(parts[0] + parts[1], v.tokens()[SynthVocabulary.MIN_SIZE + i]);
        }
        assertEquals(SynthVocabulary.CONTROL, v.types()[1]);
        assertEquals("<|im_start|>", v.tokens()[v.bos()]);
        assertEquals("<|im_end|>", v.tokens()[v.eos()]);
    }

    @Test
    void placeholderRefusesTooSmallVocabularies() {
        assertThrows(IllegalArgumentException.class, () -> SynthVocabulary.placeholder(258));
    }

    /** Compared with the tokenizer.json read independently here, entry by entry. */
    @Test
    void readsSmolLm2TokenizerJson() throws IOException {
        Path file = SharedData.file(SMOLLM);
        SynthVocabulary v = SynthVocabulary.fromHfTokenizer(file, 49152);
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        Iterator<Map.Entry<String, JsonNode>> vocab = root.get("model").get("vocab").properties().iterator();
        int count = 0;
        while (vocab.hasNext()) {
            Map.Entry<String, JsonNode> e = vocab.next();
            assertEquals(e.getKey(), v.tokens()[e.getValue().asInt()]);
            count++;
        }
        assertEquals(49152, count);
        JsonNode merges = root.get("model").get("merges");
        assertEquals(48900, merges.size());
        assertEquals(merges.size(), v.merges().length);
        assertEquals(merges.get(0).asText(), v.merges()[0]);
        assertEquals(merges.get(48899).asText(), v.merges()[48899]);
        int control = 0;
        for (int type : v.types()) {
            control += type == SynthVocabulary.CONTROL ? 1 : 0;
        }
        assertEquals(root.get("added_tokens").size(), control, "every added special token is a control token");
        assertEquals(SynthVocabulary.NORMAL, v.types()[17]);
        assertEquals(1, v.bos());  // from config.json beside it
        assertEquals(2, v.eos());
        assertEquals(2, v.pad());
        assertFalse(v.addBos(), "SmolLM2's tokenizer.json has no post-processor");
        assertEquals("smollm", v.pre());
    }

    @Test
    void padsAShortTokenizerAndRefusesALongOne() throws IOException {
        Path file = SharedData.file(SMOLLM);
        SynthVocabulary padded = SynthVocabulary.fromHfTokenizer(file, 49160);
        assertEquals("[PAD49159]", padded.tokens()[49159]);
        assertEquals(SynthVocabulary.USER_DEFINED, padded.types()[49159]);
        IOException e = assertThrows(IOException.class, () -> SynthVocabulary.fromHfTokenizer(file, 512));
        assertTrue(e.getMessage().contains("does not fit a vocabulary of 512"), e.getMessage());
    }

    @Test
    void refusesANonByteLevelTokenizer() {
        Path spm = SharedData.file("models/safetensors/story-llama-2L-128d/tokenizer.json");
        IOException e = assertThrows(IOException.class, () -> SynthVocabulary.fromHfTokenizer(spm, 2048));
        assertTrue(e.getMessage().contains("byte-level"), e.getMessage());
    }

    @Test
    void byteAlphabetIsGpt2s() {
        String[] a = ByteLevel.alphabet();
        assertEquals("!", a['!']);
        assertEquals("Ġ", a[' ']);
        assertEquals("Ċ", a['\n']);
        assertEquals("Ā", a[0]);
        assertEquals("ÿ", a[0xFF]);
        assertArrayEquals(a, ByteLevel.alphabet());
    }
}
