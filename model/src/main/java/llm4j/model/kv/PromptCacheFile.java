package llm4j.model.kv;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

import llm4j.loader.AtomicFile;
import llm4j.quant.kv.KvCodec;

/**
 * {@code --prompt-cache FILE}: a prompt's K/V state saved after prefill in its stored (quantized)
 * form, so a later run whose prompt shares a prefix maps the blocks straight back into pages
 * without dequantizing or requantizing, and only prefills the rest.
 *
 * <p>The same bytes serve in memory: {@link #encode} makes an image of a cache (a server can keep
 * it as a prefix snapshot) and {@link #decode} restores one; {@link #save} and {@link #load} put
 * the image in a file, written through {@link AtomicFile} (temporary file + rename), so a reader
 * never sees half a file. An optional application payload rides along (chat keeps its messages
 * there).
 *
 * <p>Layout (big-endian, CRC-32 of everything before it at the end): magic, format version, the
 * model's identity (sha256), geometry, page size, sinks, rotation, smoothing, the ladder's (key,
 * value) type names, the token ids, the payload, the key-smoothing calibration window (one byte
 * per position and channel, see {@link KeyCalibration}), then every page with its per-layer rung
 * and bytes. A file from another model, format version or cache configuration is
 * {@link Mismatch refused}; a damaged one raises {@link PromptCacheException}.
 */
public final class PromptCacheFile {

    static final long MAGIC = 0x4C4C4D344A4B5631L; // "LLM4JKV1"
    /** 2: the calibration window per position (a prefix shorter than it restores exactly) and a payload. */
    static final int VERSION = 2;
    /** Upper bounds that stop a corrupt count from allocating absurd arrays before the CRC is checked. */
    private static final int MAX_TOKENS = 1 << 24;
    private static final int MAX_NAME = 64;
    private static final int MAX_IDENTITY = 256;

    private PromptCacheFile() {
    }

    /** A readable file that does not fit this model or cache; the caller warns and ignores it. */
    public record Mismatch(String reason) {
    }

    /**
     * What {@link #load} did: positions restored, or why the image was not used; the token ids and
     * payload it holds (empty when it was refused).
     */
    public record LoadResult(int restored, Mismatch mismatch, int[] tokens, byte[] payload) {
    }

    /** A damaged or truncated prompt-cache image. */
    public static final class PromptCacheException extends Exception {
        public PromptCacheException(String source, String problem) {
            super(source + ": " + problem);
        }

        public PromptCacheException(Path file, String problem) {
            this(file.toString(), problem);
        }
    }

    /**
     * The identity of a model: the sha256 of its file, or for a folder (Hugging Face) of every
     * regular file in it, names and contents, in name order.
     */
    public static String sha256(Path model) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(model)) {
            try (Stream<Path> s = Files.list(model)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        } else {
            files.add(model);
        }
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            if (files.size() > 1 || Files.isDirectory(model)) {
                digest.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 20), digest)) {
                while (in.read(buf) >= 0) {
                    // the digest stream hashes as it reads
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Saves positions {@code [0, tokens.length)} of {@code kv} with their token ids and
     * {@code payload} (may be null). Returns false (and writes nothing) when the cache does not hold
     * exactly those positions, as after an eviction or a context shift during prefill.
     */
    public static boolean save(Path file, String modelId, PagedKvCache kv, int[] tokens, byte[] payload) throws IOException {
        byte[] image = encode(modelId, kv, tokens, payload);
        if (image == null) {
            return false;
        }
        AtomicFile.write(file, image);
        return true;
    }

    public static boolean save(Path file, String modelId, PagedKvCache kv, int[] tokens) throws IOException {
        return save(file, modelId, kv, tokens, null);
    }

    /**
     * The image of positions {@code [0, tokens.length)} of {@code kv}, or null when the cache does
     * not hold exactly those positions. The pages' bytes are copied: the cache may go on changing.
     */
    public static byte[] encode(String modelId, PagedKvCache kv, int[] tokens, byte[] payload) {
        PagedKvCache.Snapshot snap = kv.snapshot();
        if (snap.held() != tokens.length || snap.next() != tokens.length || snap.shiftedOrEvicted()) {
            return null;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
            CRC32 crc = new CRC32();
            DataOutputStream out = new DataOutputStream(new CheckedOutputStream(bytes, crc));
            writeHeader(out, modelId, kv);
            out.writeInt(tokens.length);
            for (int t : tokens) {
                out.writeInt(t);
            }
            out.writeInt(payload == null ? 0 : payload.length);
            if (payload != null) {
                out.write(payload);
            }
            KeyCalibration calibration = kv.calibration();
            int kvDim = kv.geometry().kvDim();
            if (calibration != null) {
                // the rows, so any prefix of the window replays; under a cap they may be gone: the exponents then
                boolean rows = calibration.replayable();
                out.writeBoolean(rows);
                for (int l = 0; l < kv.geometry().layers(); l++) {
                    out.writeByte(calibration.count(l));
                    if (rows) {
                        out.write(calibration.rows(l), 0, calibration.count(l) * kvDim);
                    } else {
                        out.write(calibration.exponents(l));
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
                    if (calibration != null) {
                        // a page's keys use the calibrated exponents (begun after the window) or unit ones
                        out.writeBoolean(p.keyExponents[l] != null && p.keyExponents[l] == calibration.exponents(l));
                    }
                }
            }
            out.flush();
            new DataOutputStream(bytes).writeLong(crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e); // a ByteArrayOutputStream does not throw
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
     * logits; with {@code prompt} null, every position it holds (a chat's conversation so far). The
     * whole file is read and its CRC checked before anything is restored; a refused or damaged file
     * leaves {@code kv} as it was.
     */
    public static LoadResult load(Path file, String modelId, PagedKvCache kv, int[] prompt) throws PromptCacheException {
        byte[] image;
        try {
            image = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PromptCacheException(file, "cannot read: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new PromptCacheException(file, "too large to read");
        }
        return decode(image, file.toString(), modelId, kv, prompt);
    }

    /** As {@link #load}, from an image {@link #encode} made; {@code source} names it in messages. */
    public static LoadResult decode(byte[] image, String source, String modelId, PagedKvCache kv, int[] prompt)
            throws PromptCacheException {
        long size = image.length;
        if (size < 8 + 8) {
            throw new PromptCacheException(source, size < 8 ? "not an llm4j prompt cache (bad magic)" : "truncated (ends after " + size + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(image, 0, image.length - 8);
        long stored = ByteBuffer.wrap(image, image.length - 8, 8).getLong();
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(image, 0, image.length - 8));
            if (in.readLong() != MAGIC) {
                throw new PromptCacheException(source, "not an llm4j prompt cache (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                return mismatch("format version " + version + ", this llm4j reads version " + VERSION);
            }
            String sha = readName(in, source, MAX_IDENTITY);
            if (stored != crc.getValue()) {
                // checked before any count is trusted; a version or magic mismatch above reads only fixed fields
                throw new PromptCacheException(source, "checksum mismatch (the file is damaged or truncated)");
            }
            if (!sha.equals(modelId)) {
                return mismatch("saved for another model (sha256 " + abbreviate(sha) + ", this one is " + abbreviate(modelId) + ")");
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
                throw new PromptCacheException(source, "corrupt header (" + rungCount + " ladder rungs)");
            }
            StringBuilder types = new StringBuilder();
            for (int r = 0; r < rungCount; r++) {
                types.append(r == 0 ? "" : ",").append(readName(in, source, MAX_NAME)).append('/').append(readName(in, source, MAX_NAME));
            }
            String expectedTypes = typesOf(kv);
            if (layers != g.layers() || heads != g.kvHeads() || headDim != g.headDim()) {
                throw new PromptCacheException(source, "corrupt header: geometry " + layers + "x" + heads + "x" + headDim
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
                throw new PromptCacheException(source, "corrupt token count " + nTokens);
            }
            int[] tokens = new int[nTokens];
            for (int i = 0; i < nTokens; i++) {
                tokens[i] = in.readInt();
            }
            int payloadLength = in.readInt();
            if (payloadLength < 0 || payloadLength > size) {
                throw new PromptCacheException(source, "corrupt payload length " + payloadLength);
            }
            byte[] payload = new byte[payloadLength];
            in.readFully(payload);
            byte[][] rows = new byte[layers][];
            int[] rowCounts = new int[layers];
            boolean replayable = true;
            if (smoothed) {
                replayable = in.readBoolean();
                for (int l = 0; l < layers; l++) {
                    rowCounts[l] = in.readUnsignedByte();
                    if (rowCounts[l] > KeyCalibration.POSITIONS || !replayable && rowCounts[l] != KeyCalibration.POSITIONS) {
                        throw new PromptCacheException(source, "corrupt calibration of layer " + l + " (" + rowCounts[l] + " positions)");
                    }
                    rows[l] = new byte[replayable ? rowCounts[l] * g.kvDim() : g.kvDim()];
                    in.readFully(rows[l]);
                }
            }
            int pageCount = in.readInt();
            if (pageCount < 0 || pageCount > nTokens + 1) {
                throw new PromptCacheException(source, "corrupt page count " + pageCount);
            }
            KvPage[] pages = new KvPage[pageCount];
            int next = 0;
            for (int i = 0; i < pageCount; i++) {
                int start = in.readInt();
                int capacity = in.readInt();
                int count = in.readInt();
                boolean sink = in.readBoolean();
                if (start != next || capacity < 1 || capacity > PagedKvCache.PAGE_POSITIONS || count < 1 || count > capacity) {
                    throw new PromptCacheException(source, "corrupt page " + i + " (start " + start + ", " + count + "/" + capacity + ")");
                }
                KvPage p = new KvPage(start, capacity, sink, layers);
                p.count = count;
                for (int l = 0; l < layers; l++) {
                    int level = in.readByte();
                    int length = in.readInt();
                    if (level < 0 || level >= rungCount || length != kv.layerDataBytes(level, capacity)) {
                        throw new PromptCacheException(source, "corrupt page " + i + " layer " + l + " (rung " + level + ", " + length + " bytes)");
                    }
                    p.level[l] = (byte) level;
                    p.data[l] = new byte[length];
                    in.readFully(p.data[l]);
                    if (smoothed) {
                        boolean usesCalibration = in.readBoolean();
                        if (usesCalibration && (rowCounts[l] != KeyCalibration.POSITIONS || start < sinks + KeyCalibration.POSITIONS)) {
                            throw new PromptCacheException(source, "corrupt page " + i + " layer " + l + " (smoothing without calibration)");
                        }
                        p.keyExponents[l] = usesCalibration ? KeyCalibration.SAVED : null; // null: the cache's unit exponents
                    }
                }
                pages[i] = p;
                next = start + count;
            }
            if (next != nTokens) {
                throw new PromptCacheException(source, "corrupt: pages hold " + next + " positions for " + nTokens + " tokens");
            }
            if (in.read() >= 0) {
                throw new PromptCacheException(source, "trailing bytes before the checksum");
            }
            int common = 0;
            if (prompt == null) {
                common = nTokens;
            } else {
                int limit = Math.min(nTokens, prompt.length - 1);
                while (common < limit && tokens[common] == prompt[common]) {
                    common++;
                }
            }
            return new LoadResult(kv.restore(pages, common, rows, rowCounts, replayable), null, tokens, payload);
        } catch (EOFException e) {
            throw new PromptCacheException(source, "truncated (ends after " + size + " bytes)");
        } catch (IOException e) {
            throw new PromptCacheException(source, "cannot read: " + e.getMessage());
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

    private static String readName(DataInputStream in, String source, int max) throws IOException, PromptCacheException {
        int len = in.readUnsignedShort();
        if (len > max) {
            throw new PromptCacheException(source, "corrupt header (a " + len + "-byte name)");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) + "…" : sha;
    }

    private static LoadResult mismatch(String reason) {
        return new LoadResult(0, new Mismatch(reason), new int[0], new byte[0]);
    }
}
