package llm4j.model.perplexity;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import llm4j.loader.ModelFormatException;

/**
 * The base model's log-probabilities for a KL-divergence comparison (what llama-perplexity keeps in
 * its {@code --kl-divergence-base} file): a header with the context, vocabulary and token stream,
 * then every scored row as 16-bit codes over the row's own range ({@code min + scale * code}), which
 * resolves log-probabilities to about 3e-4 where half floats would only give 8e-3 near -10.
 */
public final class LogProbArchive {

    static final long MAGIC = 0x444C4B4A344D4C4CL; // "LLM4JKLD" little-endian
    static final int VERSION = 2;
    private static final int HEADER = 8 + 4 * 5;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CODES = 65535;

    /** Bytes of one stored row: min, scale, then a code per token. */
    static long rowBytes(int vocab) {
        return 8L + 2L * vocab;
    }

    private LogProbArchive() {
    }

    /** Streams rows into a temp file beside {@code target}; {@link Writer#commit()} renames it into place. */
    public static Writer create(Path target, int ctx, int vocab, int chunks, int[] tokens) throws IOException {
        return new Writer(target, ctx, vocab, chunks, tokens);
    }

    public static final class Writer implements Perplexity.RowSink, AutoCloseable {
        private final Path target;
        private final Path temp;
        private final DataOutputStream out;
        private final int vocab;
        private final float[] logProbs;
        private IOException failure;
        private boolean committed;

        private Writer(Path target, int ctx, int vocab, int chunks, int[] tokens) throws IOException {
            Path dir = target.toAbsolutePath().getParent();
            this.target = target;
            this.temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            this.vocab = vocab;
            this.logProbs = new float[vocab];
            OutputStream raw = Files.newOutputStream(temp, StandardOpenOption.TRUNCATE_EXISTING);
            this.out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
            out.writeLong(Long.reverseBytes(MAGIC));
            for (int v : new int[] {VERSION, ctx, vocab, chunks, tokens.length}) {
                out.writeInt(Integer.reverseBytes(v));
            }
            for (int t : tokens) {
                out.writeInt(Integer.reverseBytes(t));
            }
        }

        @Override
        public void row(int chunk, int index, float[] logits, int offset, int vocabSize, int target) {
            if (failure != null) {
                return;
            }
            logSoftmax(logits, offset, vocab, logProbs);
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float lp : logProbs) {
                min = Math.min(min, lp);
                max = Math.max(max, lp);
            }
            float scale = max > min ? (max - min) / CODES : 1f;
            try {
                out.writeInt(Integer.reverseBytes(Float.floatToIntBits(min)));
                out.writeInt(Integer.reverseBytes(Float.floatToIntBits(scale)));
                for (float lp : logProbs) {
                    int code = Math.round((lp - min) / scale);
                    out.writeShort(Short.reverseBytes((short) Math.min(CODES, Math.max(0, code))));
                }
            } catch (IOException e) {
                failure = e;
            }
        }

        /** Finishes the file and moves it over the target. */
        public void commit() throws IOException {
            out.close();
            if (failure != null) {
                throw failure;
            }
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                out.close();
                Files.deleteIfExists(temp);
            }
        }
    }

    /** A read, validated archive mapped from disk. */
    public record Base(int ctx, int vocab, int chunks, int[] tokens, MemorySegment rows, Arena arena) implements AutoCloseable {

        /** Log-probabilities of scored row {@code row} (chunk-major) into {@code dst}. */
        public void row(long row, float[] dst) {
            long off = row * rowBytes(vocab);
            float min = rows.get(F32, off);
            float scale = rows.get(F32, off + 4);
            for (int i = 0; i < vocab; i++) {
                dst[i] = min + scale * Short.toUnsignedInt(rows.get(U16, off + 8 + 2L * i));
            }
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    public static Base open(Path path) throws ModelFormatException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) {
                throw new ModelFormatException(path, 0, "not a KL-divergence base file (too short)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (Long.reverseBytes(seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0)) != MAGIC) {
                throw new ModelFormatException(path, 0, "not a KL-divergence base file written by llm4j");
            }
            int version = seg.get(U32, 8);
            int ctx = seg.get(U32, 12);
            int vocab = seg.get(U32, 16);
            int chunks = seg.get(U32, 20);
            int count = seg.get(U32, 24);
            if (version != VERSION) {
                throw new ModelFormatException(path, 8, "KL-divergence base format version " + version + ", expected " + VERSION);
            }
            if (ctx < 8 || vocab < 1 || chunks < 1 || (long) chunks * ctx != count) {
                throw new ModelFormatException(path, 12, "corrupt KL-divergence base header");
            }
            long tokensEnd = HEADER + 4L * count;
            long rowBytes;
            try {
                rowBytes = Math.multiplyExact((long) chunks * (ctx - 1 - ctx / 2), rowBytes(vocab));
            } catch (ArithmeticException e) {
                throw new ModelFormatException(path, 12, "corrupt KL-divergence base header");
            }
            if (tokensEnd + rowBytes != size) {
                throw new ModelFormatException(path, HEADER, "KL-divergence base file has " + size + " bytes, expected "
                        + (tokensEnd + rowBytes));
            }
            int[] tokens = new int[count];
            for (int i = 0; i < count; i++) {
                tokens[i] = seg.get(U32, HEADER + 4L * i);
            }
            Base base = new Base(ctx, vocab, chunks, tokens, seg.asSlice(tokensEnd), arena);
            arena = null;
            return base;
        } catch (IOException e) {
            throw new ModelFormatException(path, -1, "cannot read KL-divergence base: " + e.getMessage(), e);
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    static void logSoftmax(float[] logits, int offset, int vocab, float[] dst) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        float logSum = (float) Math.log(sum);
        for (int i = 0; i < vocab; i++) {
            dst[i] = logits[offset + i] - max - logSum;
        }
    }
}
