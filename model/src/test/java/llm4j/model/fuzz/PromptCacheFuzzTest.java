package llm4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.zip.CRC32;

import llm4j.model.Model;
import llm4j.model.generate.Session;
import llm4j.model.kv.KvRotation;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.kv.PromptCacheFile;
import llm4j.model.parallel.WorkerPool;
import llm4j.quant.kv.Q8_0Codec;
import llm4j.testdata.SharedData;
import llm4j.testdata.fuzz.FuzzCases;
import llm4j.testdata.fuzz.FuzzSettings;
import llm4j.testdata.fuzz.ScratchDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code --prompt-cache} file, written through the API after a real prefill of stories260K (an F16 cache, and
 * a Q8_0 cache with smoothed keys so the calibration section is present), then damaged: cut at every byte of its
 * header and tokens, at every page and layer boundary and at random; bit flips anywhere (the CRC must catch them);
 * and extreme values in every count and field with the CRC recomputed, so they reach the checks behind it and
 * {@code restore}. Each load either restores (and the session then continues the prompt), reports a mismatch, or
 * throws {@link PromptCacheFile.PromptCacheException}; nothing else, within the deadline and the fuzz heap.
 */
class PromptCacheFuzzTest {

    private static final String SHA = "0123456789abcdef".repeat(4);
    private static final int CONTEXT = 256;

    private static Model model;
    private static WorkerPool pool;
    private static int[] prompt;

    private final ScratchDir scratch = new ScratchDir("llm4j-prompt-cache-fuzz");

    @BeforeAll
    static void load() throws Exception {
        model = Model.load(SharedData.model("gguf/stories260K.gguf"));
        pool = new WorkerPool(1);
        prompt = model.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play outside"
                + " in the park with her friends. One day, she saw a big red ball under a tree and ran to get it.".repeat(2), true, false);
        // past the sinks and the smoothing calibration window, so the Q8_0 file holds calibrated exponents
        assertTrue(prompt.length > 4 + 64, "prompt of " + prompt.length + " tokens");
    }

    @AfterAll
    static void close() {
        pool.close();
        model.close();
    }

    @AfterEach
    void removeCaseFiles() {
        scratch.close();
    }

    private static KvSettings settings(String which) {
        return which.equals("f16") ? KvSettings.defaults()
                : KvSettings.of(Q8_0Codec.INSTANCE, Q8_0Codec.INSTANCE).withSmoothing(KvRotation.ON);
    }

    private byte[] written(String which) throws IOException {
        PagedKvCache kv = model.newCache(CONTEXT, settings(which));
        new Session(model.transformer(), kv, pool, 32).feed(prompt, 0, prompt.length);
        Path file = scratch.resolve(which + ".kvc");
        assertTrue(PromptCacheFile.save(file, SHA, kv, prompt));
        return Files.readAllBytes(file);
    }

    /** Loads {@code bytes} into a fresh cache; when something is restored, the session continues the prompt. */
    /** What the last successful load returned (cases run one at a time). */
    private volatile PromptCacheFile.LoadResult lastLoad;

    private Void loadAndContinue(String which, Path file, byte[] bytes) throws Exception {
        lastLoad = null;
        Files.write(file, bytes);
        PagedKvCache kv = model.newCache(CONTEXT, settings(which));
        PromptCacheFile.LoadResult r = PromptCacheFile.load(file, SHA, kv, prompt);
        lastLoad = r;
        assertTrue(r.restored() >= 0 && r.restored() < prompt.length, "restored " + r.restored());
        assertTrue(r.mismatch() == null || r.restored() == 0);
        Session session = new Session(model.transformer(), kv, pool, 32);
        session.resumeAt(r.restored());
        session.feed(prompt, r.restored(), prompt.length - r.restored());
        assertEquals(prompt.length, session.position());
        return null;
    }

    /** Field offsets found by walking the file as the format describes it (independently of the reader). */
    private record Layout(List<Integer> boundaries, List<int[]> fields) {
    }

    private static Layout walk(byte[] b) throws IOException {
        List<Integer> bounds = new ArrayList<>();
        List<int[]> fields = new ArrayList<>(); // {offset, width}
        ByteBuffer in = ByteBuffer.wrap(b);
        int at = 0;
        fields.add(new int[] {0, 8});
        fields.add(new int[] {8, 4});
        at = 12;
        fields.add(new int[] {at, 2});
        at += 2 + in.getShort(at);
        bounds.add(at);
        int layers = in.getInt(at);
        for (int i = 0; i < 5; i++) {
            fields.add(new int[] {at, 4});
            at += 4;
        }
        boolean smoothed = b[at + 1] != 0;
        fields.add(new int[] {at, 1});
        fields.add(new int[] {at + 1, 1});
        at += 2;
        int rungs = in.getInt(at);
        fields.add(new int[] {at, 4});
        at += 4;
        for (int r = 0; r < 2 * rungs; r++) {
            fields.add(new int[] {at, 2});
            at += 2 + in.getShort(at);
        }
        bounds.add(at);
        int tokens = in.getInt(at);
        fields.add(new int[] {at, 4});
        at += 4 + 4 * tokens;
        fields.add(new int[] {at - 4, 4});
        bounds.add(at);
        int payload = in.getInt(at);
        fields.add(new int[] {at, 4});
        at += 4 + payload;
        bounds.add(at);
        if (smoothed) {
            // format 2: whether the calibration rows follow, then per layer the positions calibrated and
            // either that many rows of kvDim codes or the layer's kvDim exponents
            boolean rows = b[at] != 0;
            fields.add(new int[] {at, 1});
            at += 1;
            int kvDim = guessKvDim(model);
            for (int l = 0; l < layers; l++) {
                fields.add(new int[] {at, 1});
                int count = b[at] & 0xff;
                at += 1 + (rows ? count * kvDim : kvDim);
            }
            bounds.add(at);
        }
        int pages = in.getInt(at);
        fields.add(new int[] {at, 4});
        at += 4;
        for (int p = 0; p < pages; p++) {
            bounds.add(at);
            for (int k = 0; k < 3; k++) {
                fields.add(new int[] {at, 4});
                at += 4;
            }
            fields.add(new int[] {at, 1});
            at += 1;
            for (int l = 0; l < layers; l++) {
                bounds.add(at);
                fields.add(new int[] {at, 1});
                fields.add(new int[] {at + 1, 4});
                int length = in.getInt(at + 1);
                at += 5 + length;
                if (smoothed) {
                    fields.add(new int[] {at, 1});
                    at += 1;
                }
            }
        }
        bounds.add(at);
        assertEquals(b.length, at + 8, "walker and writer disagree on the layout");
        return new Layout(bounds, fields);
    }

    private static int guessKvDim(Model m) {
        return m.config().kvHeads() * m.config().headDim();
    }

    /** The file with its CRC recomputed over the damaged body, so the damage reaches the reader's later checks. */
    private static byte[] withCrc(byte[] bytes) {
        if (bytes.length < 8) {
            return bytes;
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        ByteBuffer.wrap(bytes).putLong(bytes.length - 8, crc.getValue());
        return bytes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0-smoothed"})
    void truncatedAnywhereIsRefused(String which) throws Exception {
        byte[] original = written(which);
        Layout layout = walk(original);
        TreeSet<Integer> cuts = new TreeSet<>();
        // every byte of the header, every fifth of the token ids (all cut inside the same field)
        int tokensStart = layout.boundaries().get(1);
        int tokensEnd = layout.boundaries().get(2);
        for (int cut = 0; cut <= tokensEnd; cut += cut < tokensStart + 8 ? 1 : 5) {
            cuts.add(cut);
        }
        for (int b : layout.boundaries()) {
            for (int cut = b - 1; cut <= b + 1; cut++) {
                cuts.add(cut);
            }
        }
        Random random = new Random(FuzzSettings.seed() ^ which.hashCode());
        for (int i = 0; i < FuzzSettings.cases(40); i++) {
            cuts.add(random.nextInt(original.length));
        }
        cuts.add(original.length - 1);
        Path file = scratch.resolve("case.kvc");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), PromptCacheFile.PromptCacheException.class)) {
            assertNull(cases.check("intact " + which, () -> loadAndContinue(which, file, original)));
            for (int cut : cuts) {
                if (cut < 0 || cut >= original.length) {
                    continue;
                }
                String what = which + " cut to " + cut + " bytes";
                Exception e = cases.check(what, () -> loadAndContinue(which, file, Arrays.copyOf(original, cut)));
                assertNotNull(e, what + " was accepted");
                assertOneLine(e);
            }
            System.out.printf("prompt cache %s: %d truncations%n", which, cases.total());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0-smoothed"})
    void flippedAndExtremeValues(String which) throws Exception {
        byte[] original = written(which);
        List<int[]> fields = walk(original).fields();
        long[] extremes = {0, 1, -1, 2, 15, 16, 17, 255, 256, 0x7FFF, 0xFFFF, Integer.MAX_VALUE, Integer.MIN_VALUE,
            1 << 24, (1 << 24) + 1, prompt.length, prompt.length - 1, prompt.length + 1, original.length, Long.MAX_VALUE};
        Path file = scratch.resolve("case.kvc");
        try (FuzzCases cases = new FuzzCases(Duration.ofSeconds(10), PromptCacheFile.PromptCacheException.class)) {
            for (int i = 0; i < FuzzSettings.cases(150); i++) {
                Random random = new Random(FuzzSettings.seed() * 41 + i + which.hashCode());
                byte[] bytes = original.clone();
                String what;
                boolean fixCrc;
                switch (i % 3) {
                    case 0 -> { // bit flips anywhere: the CRC must refuse every one that gets that far
                        StringBuilder sb = new StringBuilder("flipped bits at");
                        for (int f = 1 + random.nextInt(4); f > 0; f--) {
                            int at = random.nextInt(bytes.length);
                            bytes[at] ^= (byte) (1 << random.nextInt(8));
                            sb.append(' ').append(at);
                        }
                        what = sb.toString();
                        fixCrc = false;
                    }
                    case 1 -> { // random bytes anywhere, CRC recomputed: the damage reaches restore
                        int at = random.nextInt(bytes.length - 8);
                        int n = 1 + random.nextInt(Math.min(16, bytes.length - 8 - at));
                        for (int k = 0; k < n; k++) {
                            bytes[at + k] = (byte) random.nextInt(256);
                        }
                        what = n + " random bytes at " + at + " (CRC fixed)";
                        fixCrc = true;
                    }
                    default -> { // an extreme value in one field, CRC recomputed
                        int[] field = fields.get(random.nextInt(fields.size()));
                        long value = extremes[random.nextInt(extremes.length)];
                        ByteBuffer b = ByteBuffer.wrap(bytes);
                        switch (field[1]) {
                            case 1 -> b.put(field[0], (byte) value);
                            case 2 -> b.putShort(field[0], (short) value);
                            case 4 -> b.putInt(field[0], (int) value);
                            default -> b.putLong(field[0], value);
                        }
                        what = field[1] + "-byte field at " + field[0] + " = " + value + " (CRC fixed)";
                        fixCrc = true;
                    }
                }
                byte[] damaged = fixCrc ? withCrc(bytes) : bytes;
                Exception e = cases.check(which + " case " + i + " (" + what + ")", () -> loadAndContinue(which, file, damaged));
                if (!fixCrc && !Arrays.equals(damaged, original) && e == null) {
                    // a flip the CRC cannot have seen yet: in the version, model sha or configuration, which
                    // makes a readable file for something else (ignored with a warning)
                    assertNotNull(lastLoad.mismatch(), which + " case " + i + " (" + what + ") was restored");
                }
                if (e != null) {
                    assertOneLine(e);
                }
            }
            System.out.printf("prompt cache %s: %d mutations, %d refused%n", which, cases.total(), cases.rejected());
        }
    }

    private static void assertOneLine(Exception e) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(".kvc: "), e.getMessage());
    }
}
