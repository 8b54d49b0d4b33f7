package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;
import llm4j.testdata.SharedData;
import org.junit.jupiter.api.Test;

/** The factory's choices and llama.cpp's defaults, and special tokens in use. */
class TokenizersTest {

    private static JsonNode goldenCase(String file, String name) {
        return SharedData.jsonLines(file).stream().filter(r -> r.get("case").asText().equals(name)).findFirst()
                .orElseThrow();
    }

    private static Metadata stories260kMetadata() throws ModelFormatException {
        try (ModelFile file = ModelFiles.open(SharedData.model("gguf/stories260K.gguf"))) {
            return file.metadata();
        }
    }

    private static Metadata with(Metadata metadata, String key, MetadataValue value) {
        Map<String, MetadataValue> kv = new LinkedHashMap<>(metadata.asMap());
        kv.put(key, value);
        return new Metadata(null, kv);
    }

    @Test
    void ggufLlamaModelIsSentencePieceWithLlamaCppDefaults() throws ModelFormatException {
        Metadata metadata = stories260kMetadata();
        assertFalse(metadata.has(Tokenizers.ADD_BOS), "the file leaves add_bos to the default");
        Tokenizer tokenizer = Tokenizers.fromMetadata(metadata);
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        JsonNode hello = goldenCase("golden/tokenizer/stories260k-spm-512.jsonl", "ascii_hello");
        int[] withBos = SharedData.ints(hello.get("ids_with_bos"));
        assertEquals(withBos[0], tokenizer.bos());
        assertEquals("</s>", tokenizer.piece(tokenizer.eos()));
        assertTrue(tokenizer.isEndOfGeneration(tokenizer.eos()));
        assertFalse(tokenizer.isEndOfGeneration(tokenizer.bos()));
        // padding_token_id is stored as u32 -1: no padding token
        assertEquals(SpecialTokens.NONE, ((VocabularyTokenizer) tokenizer).specialTokens().padding());
        assertEquals(0, tokenizer.tokenBytes(tokenizer.bos()).length, "control tokens render as nothing");
    }

    @Test
    void addBosKeyOverridesTheDefault() throws ModelFormatException {
        Metadata metadata = with(stories260kMetadata(), Tokenizers.ADD_BOS, MetadataValue.of(ValueType.BOOL, false));
        JsonNode hello = goldenCase("golden/tokenizer/stories260k-spm-512.jsonl", "ascii_hello");
        assertArrayEquals(SharedData.ints(hello.get("ids")),
                Tokenizers.fromMetadata(metadata).encode(hello.get("text").asText(), true, true));
    }

    @Test
    void unsupportedTokenizerModelIsNamed() throws ModelFormatException {
        Metadata metadata = with(stories260kMetadata(), Tokenizers.MODEL, MetadataValue.of(ValueType.STRING, "bert"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromMetadata(metadata));
        assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
    }

    @Test
    void unsupportedPreTokenizerIsNamed() {
        Metadata metadata = with(TokenizerFixtures.smollm2Metadata(), Tokenizers.PRE,
                MetadataValue.of(ValueType.STRING, "no-such-pre"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromMetadata(metadata));
        assertTrue(e.getMessage().contains("'no-such-pre'"), e.getMessage());
    }

    @Test
    void llama3StylePreTokenizerAddsBosByDefault() throws ModelFormatException {
        Metadata metadata = with(TokenizerFixtures.smollm2Metadata(), Tokenizers.PRE,
                MetadataValue.of(ValueType.STRING, "llama-bpe"));
        Tokenizer tokenizer = Tokenizers.fromMetadata(metadata);
        int[] ids = tokenizer.encode("Hello", true, true);
        assertEquals(tokenizer.bos(), ids[0]);
        assertFalse(TokenizerFixtures.smollm2().encode("Hello", true, true)[0] == tokenizer.bos(),
                "smollm adds no BOS by default");
    }

    /** README 1a: with parse_special the text {@code </s>} is the EOS token, and the next text gets its space. */
    @Test
    void spmParsesControlTokenTextsOnlyWhenAsked() {
        Tokenizer llama2 = TokenizerFixtures.llama2();
        int[] hello = SharedData.ints(goldenCase("golden/tokenizer/llama2-spm-32000.jsonl", "ascii_hello").get("ids"));
        // "Hello world" = ▁Hello ▁world; split by </s>, "world" starts a segment and gets the same ▁world
        assertArrayEquals(new int[] {hello[0], llama2.eos(), hello[1]}, llama2.encode("Hello</s>world", false, true));
        int[] literal = llama2.encode("Hello</s>world", false, false);
        for (int id : literal) {
            assertNotEquals(llama2.eos(), id);
        }
        assertEquals("Hello</s>world", llama2.decode(literal));
    }

    @Test
    void bpeParsesChatMarkersAndStopsAtEndOfTurn() {
        Tokenizer smollm2 = TokenizerFixtures.smollm2();
        int imStart = LongTextTest.idOf(smollm2, "<|im_start|>");
        int imEnd = LongTextTest.idOf(smollm2, "<|im_end|>");
        JsonNode hello = goldenCase("golden/tokenizer/smollm2-135m-bytelevel-bpe-49152.jsonl", "ascii_hello");
        int[] helloIds = SharedData.ints(hello.get("ids"));
        int[] chat = smollm2.encode("<|im_start|>Hello world<|im_end|>", false, true);
        assertArrayEquals(new int[] {imStart, helloIds[0], helloIds[1], imEnd}, chat);
        assertEquals("Hello world", smollm2.decode(chat), "control tokens vanish from decoded text");
        for (int id : smollm2.encode("<|im_start|>", false, false)) {
            assertNotEquals(imStart, id);
        }
        assertTrue(smollm2.isEndOfGeneration(imEnd));
        assertTrue(smollm2.isEndOfGeneration(LongTextTest.idOf(smollm2, "<|endoftext|>")));
        assertFalse(smollm2.isEndOfGeneration(imStart));
        assertEquals(0, smollm2.tokenBytes(imEnd).length);
    }
}
