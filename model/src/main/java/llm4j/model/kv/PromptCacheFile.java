package llm4j.model.kv;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

import llm4j.quant.kv.KvCodec;

/**
 * {@code --prompt-cache FILE}: a prompt's K/V state saved after prefill in its stored (quantized)
 * form, so a later run whose prompt shares a prefix maps the blocks straight back into pages
 * without dequantizing or requantizing, and only prefills the rest.
 *
 * <p>Layout (big-endian, CRC-32 of everything before it at the end): magic, format version, the
 * model's sha256, geometry, page size, sinks, rotation, the ladder's (key, value) type names, the
 * token ids, then every page with its per-layer rung and bytes. Files are written to a temporary
 * file in the same directory and renamed over the target, so a reader never sees half a file.
 * A file from another model, format version or cache configuration is {@link Mismatch refused};
 * a damaged one raises {@link PromptCacheException}.
 */
public final class PromptCacheFile {

    static final long MAGIC = 0x4C4C4D344A4B5631L; // "LLM4JKV1"
    static final int VERSION = 1;
    /** Upper bounds that stop a corrupt count from allocating absurd arrays before the CRC is checked. */
    private static final int MAX_TOKENS = 1 << 24;
    private static final int MAX_NAME = 64;

    private PromptCacheFile() {
    }

    /** A readable file that does not fit this model or cache; the caller warns and ignores it. */
    public record Mismatch(String reason) {
    }

    /** What {@link #load} did: positions restored, or why the file was not used. */
    public record LoadResult(int restored, Mismatch mismatch) {
    }

    /** A damaged or truncated prompt-cache file. */
    public static final class PromptCacheException extends Exception {
        public PromptCacheException(Path file, String problem) {
            super(file + ": " + problem);
        }
    }

    /** The sha256 of a model file, hex. */
    public static String sha256(Path model) throws IOException {
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(model), 1 << 20),
                MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 20];
            while (in.read(buf) >= 0) {
                // the digest stream hashes as it reads
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Saves positions {@code [0, tokens.length)} of {@code kv} with their token ids. Returns false
     * (and writes nothing) when the cache does not hold exactly those positions, as after an
     * eviction or a context shift during prefill.
     */
    public static boolean save(Path file, String modelSha256, PagedKvCache kv, int[] tokens) throws IOException {
        PagedKvCache.Snapshot snap = kv.snapshot();
        if (snap.held() != tokens.length || snap.next() != tokens.length || snap.shiftedOrEvicted()) {
            return false;
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                CRC32 crc = new CRC32();
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
                writeHeader(out, modelSha256, kv);
                out.writeInt(tokens.length);
                for (int t : tokens) {
                    out.writeInt(t);
                }
                if (kv.keysSmoothed()) {
                    for (byte[] exponents : kv.calibration()) {
                        out.writeBoolean(exponents != null);
                        if (exponents != null) {
                            out.write(exponents);
                        }
                    }
                }
                out.writeInt(snap.pages().length);
                for (KvPage p : snap.pages()) {
                    out.writeInt(p.start);
                    out.writeInt(p.capacity);
                    out.writeInt(p.count);
                    out.writeBoolean(p.sink);
                    for (int l = 0; l < p.data.length; l++) {
                        out.writeByte(p.level[l]);
                        out.writeInt(p.data[l].length);
                        out.write(p.data[l]);
                        if (kv.keysSmoothed()) {
                            // pages share one of two exponent arrays: unit (begun before calibration) or calibrated
                            out.writeBoolean(p.keyExponents[l] == kv.calibration()[l]);
                        }
                    }
                }
                out.flush();
                new DataOutputStream(raw).writeLong(crc.getValue());
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeHeader(DataOutputStream out, String sha, PagedKvCache kv) throws IOException {
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(sha);
        KvGeometry g = kv.geometry();
        out.writeInt(g.layers());
        out.writeInt(g.kvHeads());
        out.writeInt(g.headDim());
        out.writeInt(PagedKvCache.PAGE_POSITIONS);
        out.writeInt(kv.settings().sinks());
        out.writeBoolean(kv.keysRotated());
        out.writeBoolean(kv.keysSmoothed());
        KvCodec[][] rungs = kv.rungCodecs();
        out.writeInt(rungs.length);
        for (KvCodec[] r : rungs) {
            out.writeUTF(r[0].name());
            out.writeUTF(r[1].name());
        }
    }

    /**
     * Restores into the (empty) {@code kv} the longest prefix of {@code prompt} that the file holds,
     * at most {@code prompt.length - 1} positions so the caller still evaluates one token for its
     * logits. The whole file is read and its CRC checked before anything is restored.
     */
    public static LoadResult load(Path file, String modelSha256, PagedKvCache kv, int[] prompt) throws PromptCacheException {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new PromptCacheException(file, "cannot read: " + e.getMessage());
        }
        CRC32 crc = new CRC32();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            if (in.readLong() != MAGIC) {
                throw new PromptCacheException(file, "not an llm4j prompt cache (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                return mismatch("format version " + version + ", this llm4j reads version " + VERSION);
            }
            String sha = readName(in, file, 128);
            if (!sha.equals(modelSha256)) {
                return mismatch("saved for another model (sha256 " + abbreviate(sha) + ", this one is " + abbreviate(modelSha256) + ")");
            }
            KvGeometry g = kv.geometry();
            int layers = in.readInt();
            int heads = in.readInt();
            int headDim = in.readInt();
            int pagePositions = in.readInt();
            int sinks = in.readInt();
            boolean rotated = in.readBoolean();
            boolean smoothed = in.readBoolean();
            int rungCount = in.readInt();
            if (rungCount < 1 || rungCount > 16) {
                throw new PromptCacheException(file, "corrupt header (" + rungCount + " ladder rungs)");
            }
            StringBuilder types = new StringBuilder();
            for (int r = 0; r < rungCount; r++) {
                types.append(r == 0 ? "" : ",").append(readName(in, file, MAX_NAME)).append('/').append(readName(in, file, MAX_NAME));
            }
            String expectedTypes = typesOf(kv);
            if (layers != g.layers() || heads != g.kvHeads() || headDim != g.headDim()) {
                throw new PromptCacheException(file, "corrupt header: geometry " + layers + "x" + heads + "x" + headDim
                        + " does not match the model it names");
            }
            if (pagePositions != PagedKvCache.PAGE_POSITIONS || sinks != kv.settings().sinks() || rotated != kv.keysRotated()
                    || smoothed != kv.keysSmoothed() || !types.toString().equals(expectedTypes)) {
                return mismatch("saved with another KV cache configuration (" + types + (rotated ? ", rotated" : "")
                        + (smoothed ? ", smoothed" : "") + "; now " + expectedTypes + (kv.keysRotated() ? ", rotated" : "")
                        + (kv.keysSmoothed() ? ", smoothed" : "") + ")");
            }
            int nTokens = in.readInt();
            if (nTokens < 0 || nTokens > MAX_TOKENS || 4L * nTokens > size) {
                throw new PromptCacheException(file, "corrupt token count " + nTokens);
            }
            int[] tokens = new int[nTokens];
            for (int i = 0; i < nTokens; i++) {
                tokens[i] = in.readInt();
            }
            byte[][] calibration = new byte[layers][];
            if (smoothed) {
                for (int l = 0; l < layers; l++) {
                    if (in.readBoolean()) {
                        calibration[l] = new byte[g.kvDim()];
                        in.readFully(calibration[l]);
                    }
                }
            }
            int pageCount = in.readInt();
            if (pageCount < 0 || pageCount > nTokens + 1) {
                throw new PromptCacheException(file, "corrupt page count " + pageCount);
            }
            KvPage[] pages = new KvPage[pageCount];
            int next = 0;
            for (int i = 0; i < pageCount; i++) {
                int start = in.readInt();
                int capacity = in.readInt();
                int count = in.readInt();
                boolean sink = in.readBoolean();
                if (start != next || capacity < 1 || capacity > PagedKvCache.PAGE_POSITIONS || count < 1 || count > capacity) {
                    throw new PromptCacheException(file, "corrupt page " + i + " (start " + start + ", " + count + "/" + capacity + ")");
                }
                KvPage p = new KvPage(start, capacity, sink, layers);
                p.count = count;
                for (int l = 0; l < layers; l++) {
                    int level = in.readByte();
                    int length = in.readInt();
                    if (level < 0 || level >= rungCount || length != kv.layerDataBytes(level, capacity)) {
                        throw new PromptCacheException(file, "corrupt page " + i + " layer " + l + " (rung " + level + ", " + length + " bytes)");
                    }
                    p.level[l] = (byte) level;
                    p.data[l] = new byte[length];
                    in.readFully(p.data[l]);
                    if (smoothed) {
                        boolean usesCalibration = in.readBoolean();
                        if (usesCalibration && calibration[l] == null) {
                            throw new PromptCacheException(file, "corrupt page " + i + " layer " + l + " (smoothing without calibration)");
                        }
                        p.keyExponents[l] = usesCalibration ? calibration[l] : null; // null: the cache's unit exponents
                    }
                }
                pages[i] = p;
                next = start + count;
            }
            if (next != nTokens) {
                throw new PromptCacheException(file, "corrupt: pages hold " + next + " positions for " + nTokens + " tokens");
            }
            long stored = new DataInputStream(raw).readLong();
            if (stored != crc.getValue()) {
                throw new PromptCacheException(file, "checksum mismatch (the file is damaged)");
            }
            if (raw.read() >= 0) {
                throw new PromptCacheException(file, "trailing bytes after the checksum");
            }
            int common = 0;
            int limit = Math.min(nTokens, prompt.length - 1);
            while (common < limit && tokens[common] == prompt[common]) {
                common++;
            }
            return new LoadResult(kv.restore(pages, common, calibration), null);
        } catch (EOFException e) {
            throw new PromptCacheException(file, "truncated (ends after " + size + " bytes)");
        } catch (IOException e) {
            throw new PromptCacheException(file, "cannot read: " + e.getMessage());
        }
    }

    private static String typesOf(PagedKvCache kv) {
        StringBuilder sb = new StringBuilder();
        KvCodec[][] rungs = kv.rungCodecs();
        for (int r = 0; r < rungs.length; r++) {
            sb.append(r == 0 ? "" : ",").append(rungs[r][0].name()).append('/').append(rungs[r][1].name());
        }
        return sb.toString();
    }

    private static String readName(DataInputStream in, Path file, int max) throws IOException, PromptCacheException {
        int len = in.readUnsignedShort();
        if (len > max) {
            throw new PromptCacheException(file, "corrupt header (a " + len + "-byte name)");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String abbreviate(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) + "…" : sha;
    }

    private static LoadResult mismatch(String reason) {
        return new LoadResult(0, new Mismatch(reason));
    }
}
