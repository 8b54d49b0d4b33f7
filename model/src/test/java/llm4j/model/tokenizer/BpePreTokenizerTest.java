package llm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import llm4j.loader.Metadata;
import llm4j.loader.MetadataValue;
import llm4j.loader.ModelFormatException;
import llm4j.loader.ValueType;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Every pre-tokenizer's words spell the input, and BPE over them loses no byte the vocabulary covers. */
class BpePreTokenizerTest {

    @Property(tries = 300)
    void wordsSpellTheText(@ForAll("unicodeText") String text) {
        for (BpePreTokenizer pre : BpePreTokenizer.values()) {
            List<String> words = pre.split(text);
            assertEquals(text, String.join("", words), pre.name());
            for (String word : words) {
                assertFalse(word.isEmpty(), pre.name() + " produced an empty word");
            }
        }
    }

    /** SmolLM2's vocabulary and merges under each pre-tokenizer: the token bytes spell the covered text. */
    @Property(tries = 100)
    void tokenBytesSpellTheTextUnderEveryPreTokenizer(@ForAll("unicodeText") String text) throws ModelFormatException {
        String covered = RoundTripTest.withoutUncoveredBytes(TokenizerFixtures.smollm2(), text);
        for (Tokenizer tokenizer : withEveryPreTokenizer()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : tokenizer.encode(covered, false, false)) {
                bytes.writeBytes(tokenizer.tokenBytes(id));
            }
            assertEquals(covered, bytes.toString(StandardCharsets.UTF_8),
                    ((Gpt2BpeTokenizer) tokenizer).preTokenizer().name());
        }
    }

    private static List<Tokenizer> cached;

    private static synchronized List<Tokenizer> withEveryPreTokenizer() throws ModelFormatException {
        if (cached == null) {
            Metadata smollm2 = TokenizerFixtures.smollm2Metadata();
            List<String> names = List.of("default", "gpt-2", "llama-bpe", "qwen2", "smollm");
            Tokenizer[] all = new Tokenizer[names.size()];
            for (int i = 0; i < all.length; i++) {
                java.util.Map<String, MetadataValue> kv = new java.util.LinkedHashMap<>(smollm2.asMap());
                kv.put(Tokenizers.PRE, MetadataValue.of(ValueType.STRING, names.get(i)));
                all[i] = Tokenizers.fromMetadata(new Metadata(null, kv));
            }
            cached = List.of(all);
        }
        return cached;
    }

    @Provide
    Arbitrary<String> unicodeText() {
        return RoundTripTest.unicodeText();
    }
}
