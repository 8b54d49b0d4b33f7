package llm4j.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import llm4j.loader.AtomicFile;
import llm4j.model.Model;
import llm4j.model.kv.KvSnapshot;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.kv.PromptCacheFile;

/**
 * {@code --cache-dir}: every prefix-cache entry as a prompt-cache file ({@code NAME.kvc}, the
 * format of {@code --prompt-cache}, written atomically) plus its token ids ({@code NAME.tokens}),
 * so the entries come back when the server restarts. Files are written and deleted on a thread of
 * their own, in order, so the engine never waits for the disk. Entries are reloaded with the time
 * their file was last written as their last use, so the TTL keeps counting across restarts.
 */
final class CacheStore implements PrefixCache.Listener, AutoCloseable {

    private static final String KV = ".kvc";
    private static final String TOKENS = ".tokens";

    private final Path dir;
    private final Model model;
    private final ServerConfig config;
    private final PrintWriter log;
    private final String modelId;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon()
            .name("llm4j-cache-store").unstarted(r));

    CacheStore(Path dir, Model model, ServerConfig config, PrintWriter log) throws IOException {
        this.dir = dir;
        this.model = model;
        this.config = config;
        this.log = log;
        Files.createDirectories(dir);
        Path file = model.file().path();
        // a Hugging Face folder has no single file to hash: its path stands in
        this.modelId = Files.isRegularFile(file) ? PromptCacheFile.sha256(file) : "path:" + file.toAbsolutePath();
    }

    /** The file name of an entry: a digest of its tokens, so distinct entries never share a file. */
    private static String name(int[] tokens) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * tokens.length);
            b.asIntBuffer().put(tokens);
            return HexFormat.of().formatHex(md.digest(b.array()), 0, 16) + "-" + tokens.length;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private PagedKvCache scratch() {
        return model.newCache(config.context(), config.slotKv());
    }

    @Override
    public void added(PrefixCache.Entry e) {
        int[] tokens = e.tokens();
        KvSnapshot snap = e.snapshot();
        writer.execute(() -> {
            String name = name(tokens);
            try {
                PagedKvCache kv = scratch();
                if (!snap.fill(kv)) {
                    return;
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(tokens.length * 4 + 4);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(tokens.length);
                for (int t : tokens) {
                    out.writeInt(t);
                }
                AtomicFile.write(dir.resolve(name + TOKENS), bytes.toByteArray());
                PromptCacheFile.save(dir.resolve(name + KV), modelId, kv, tokens);
            } catch (IOException | RuntimeException ex) {
                warn("cannot save prefix-cache entry " + name + ": " + ex.getMessage());
            }
        });
    }

    @Override
    public void removed(PrefixCache.Entry e) {
        String name = name(e.tokens());
        writer.execute(() -> {
            try {
                Files.deleteIfExists(dir.resolve(name + KV));
                Files.deleteIfExists(dir.resolve(name + TOKENS));
            } catch (IOException ex) {
                warn("cannot delete prefix-cache entry " + name + ": " + ex.getMessage());
            }
        });
    }

    /** Reads every entry in the directory back; files from another model or KV configuration are skipped with a warning. */
    void loadInto(PrefixCache cache) {
        int loaded = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TOKENS)) {
            for (Path tokensFile : files) {
                String base = tokensFile.getFileName().toString();
                Path kvFile = dir.resolve(base.substring(0, base.length() - TOKENS.length()) + KV);
                if (!Files.isRegularFile(kvFile)) {
                    continue;
                }
                try {
                    int[] tokens = readTokens(tokensFile);
                    int[] prompt = Arrays.copyOf(tokens, tokens.length + 1); // load restores up to prompt.length - 1
                    PagedKvCache kv = scratch();
                    PromptCacheFile.LoadResult r = PromptCacheFile.load(kvFile, modelId, kv, prompt);
                    if (r.mismatch() != null) {
                        warn("ignoring " + kvFile + ": " + r.mismatch().reason());
                        continue;
                    }
                    if (r.restored() != tokens.length) {
                        continue;
                    }
                    KvSnapshot snap = KvSnapshot.capture(kv, tokens.length);
                    if (snap != null) {
                        cache.adopt(tokens, snap, Files.getLastModifiedTime(kvFile).toMillis());
                        loaded++;
                    }
                } catch (IOException | PromptCacheFile.PromptCacheException | RuntimeException ex) {
                    warn("ignoring " + kvFile + ": " + ex.getMessage());
                }
            }
        } catch (IOException e) {
            warn("cannot read --cache-dir " + dir + ": " + e.getMessage());
        }
        if (loaded > 0) {
            log.println("llm4j serve: loaded " + loaded + " prefix-cache entries from " + dir);
            log.flush();
        }
    }

    private static int[] readTokens(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
        int n = in.readInt();
        if (n < 0 || 4L * n + 4 != bytes.length) {
            throw new IOException("corrupt token list");
        }
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = in.readInt();
        }
        return tokens;
    }

    private void warn(String message) {
        synchronized (log) {
            log.println("llm4j serve: warning: " + message);
            log.flush();
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
