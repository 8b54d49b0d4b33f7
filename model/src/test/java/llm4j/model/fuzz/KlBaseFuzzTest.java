package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import llm4j.loader.ModelFormatException;
import llm4j.model.perplexity.LogProbArchive;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.ScratchDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The KL-divergence base archive ({@code perplexity --kl-divergence-base}) is a file llm4j reads back,
 * possibly after it was damaged or swapped: cut at every byte, with every header and token byte
 * overwritten, it must open (and then hand out only usable tokens and rows) or be refused.
 */
class KlBaseFuzzTest {

    private static final int CTX = 8;
    private static final int VOCAB = 4;
    private static final int CHUNKS = 2;
    /** magic, then version, ctx, vocab, chunks, token count */
    private static final int HEADER = 8 + 4 * 5;

    private ScratchDir scratch;
    private FuzzCases cases;
    private byte[] valid;

    @BeforeEach
    void writeValidArchive() throws IOException {
        scratch = new ScratchDir("llm4j-kld");
        cases = new FuzzCases(Duration.ofSeconds(10), ModelFormatException.class);
        int[] tokens = new int[CHUNKS * CTX];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % VOCAB;
        }
        Path file = scratch.resolve("base.kld");
        try (LogProbArchive.Writer w = LogProbArchive.create(file, CTX, VOCAB, CHUNKS, tokens)) {
            int scored = CTX - 1 - CTX / 2;
            for (int c = 0; c < CHUNKS; c++) {
                for (int i = 0; i < scored; i++) {
                    w.row(c, i, new float[] {1f, 2f, 0.5f, -1f}, 0, VOCAB, i % VOCAB);
                }
            }
            w.commit();
        }
        valid = Files.readAllBytes(file);
    }

    @AfterEach
    void cleanUp() {
        cases.close();
        scratch.close();
    }

    @Test
    void theValidArchiveOpens() {
        assertNull(open("valid", valid));
    }

    @Test
    void everyTruncationIsRefused() {
        for (int length = 0; length < valid.length; length++) {
            assertNotNull(open("cut to " + length, Arrays.copyOf(valid, length)), "cut to " + length + " was accepted");
        }
    }

    @Test
    void everyHeaderAndTokenByteOverwrittenOpensOrIsRefused() {
        int tokensEnd = HEADER + 4 * CHUNKS * CTX;
        Random random = new Random(FuzzSettings.seed());
        for (int at = 0; at < tokensEnd; at++) {
            for (int k = 0; k < 4 * FuzzSettings.scale(); k++) {
                byte[] bytes = valid.clone();
                bytes[at] = (byte) random.nextInt(256);
                open("byte " + at + " = " + bytes[at], bytes);
            }
        }
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefused() {
        for (int id : new int[] {VOCAB, -1, Integer.MAX_VALUE}) {
            byte[] bytes = valid.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(HEADER + 4 * 5, id);
            ModelFormatException e = open("token " + id, bytes);
            assertNotNull(e, "token id " + id + " was accepted");
            assertTrue(e.problem().contains("vocabulary"), e.getMessage());
        }
    }

    /** Opens {@code bytes}; when that works, uses every token and row the archive hands out. */
    private ModelFormatException open(String what, byte[] bytes) {
        Path file = scratch.resolve("case.kld");
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return (ModelFormatException) cases.check(what, () -> {
            try (LogProbArchive.Base base = LogProbArchive.open(file)) {
                for (int t : base.tokens()) {
                    assertTrue(t >= 0 && t < base.vocab(), what + ": token " + t);
                }
                float[] row = new float[base.vocab()];
                long rows = (long) base.chunks() * (base.ctx() - 1 - base.ctx() / 2);
                for (long r = 0; r < rows; r++) {
                    base.row(r, row);
                }
            }
            return null;
        });
    }
}
