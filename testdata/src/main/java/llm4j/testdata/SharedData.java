package llm4j.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

/**
 * The {@code ../shared} folder beside the project root: real models and llama.cpp goldens.
 * Tests that need it are skipped when the folder is absent, and fail when a file in it is missing
 * or does not match {@code models/SHA256SUMS}.
 */
public final class SharedData {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, Boolean> VERIFIED = new ConcurrentHashMap<>();

    private SharedData() {
    }

    /** The shared folder; skips the calling test when it is absent. */
    public static Path root() {
        Path dir = locate();
        Assumptions.assumeTrue(Files.isDirectory(dir),
                "shared test data not found at " + dir + "; expected ../shared beside the project root");
        return dir;
    }

    /** Whether the shared folder is present (for conditional test sources). */
    public static boolean present() {
        return Files.isDirectory(locate());
    }

    private static Path locate() {
        String prop = System.getProperty("shared.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(".mvn"))) {
            dir = dir.getParent();
        }
        Path projectRoot = dir == null ? Path.of("").toAbsolutePath() : dir;
        return projectRoot.resolveSibling("shared").normalize();
    }

    /** A file under {@code shared/}, e.g. {@code golden/corpus.txt}; fails when missing. */
    public static Path file(String relative) {
        Path p = root().resolve(relative);
        assertTrue(Files.isRegularFile(p), "shared file missing: " + p);
        return p;
    }

    /** A model under {@code shared/models/}, checked against SHA256SUMS once per run. */
    public static Path model(String relativeToModels) {
        Path p = file("models/" + relativeToModels);
        VERIFIED.computeIfAbsent(p, k -> verify(relativeToModels, k));
        return p;
    }

    private static boolean verify(String relative, Path p) {
        String expected = null;
        try {
            for (String line : Files.readAllLines(root().resolve("models/SHA256SUMS"))) {
                String[] parts = line.trim().split("\\s+\\*?", 2);
                if (parts.length == 2 && parts[1].equals(relative)) {
                    expected = parts[0];
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (expected != null) {
            assertEquals(expected, sha256(p), "checksum mismatch for shared model " + p);
        }
        return true;
    }

    public static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every object of a {@code .jsonl} golden file. */
    public static List<JsonNode> jsonLines(String relative) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file(relative))) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A {@code .json} golden file. */
    public static JsonNode json(String relative) {
        try {
            return JSON.readTree(file(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    public static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
