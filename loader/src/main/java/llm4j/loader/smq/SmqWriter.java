package llm4j.loader.smq;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import llm4j.loader.AtomicFile;
import llm4j.loader.MetadataValue;
import llm4j.quant.smq.SmqScheme;

/**
 * Writes an SMQ v1 file as SmallMind's SmqWriter lays it out: header, compact metadata JSON, the directory, then
 * each tensor's data blob followed by its scale blob, unaligned and back to back. Dimensions are written row-major
 * (outermost first), as SmallMind's own checkpoints store them; tensor bytes are produced one tensor at a time, so
 * memory holds at most one tensor. The file is replaced atomically.
 */
public final class SmqWriter {

    /** Fills a tensor's blobs, which the writer has allocated at their exact sizes (scales is empty for F32). */
    @FunctionalInterface
    public interface Producer {
        void produce(MemorySegment data, MemorySegment scales) throws IOException;
    }

    /** Reports bytes written so far out of the file's total. */
    @FunctionalInterface
    public interface Progress {
        void update(long written, long total);
    }

    private record Tensor(String name, SmqScheme scheme, long[] dims, int blockSize, long dataBytes, long scaleBytes,
                          Producer producer) {
    }

    private final Map<String, MetadataValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public SmqWriter put(String key, MetadataValue value) {
        metadata.put(key, value);
        return this;
    }

    public SmqWriter putAll(Map<String, MetadataValue> values) {
        metadata.putAll(values);
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param shape     ggml order ({@code shape[0]} contiguous), as every {@link llm4j.loader.TensorView} has it
     * @param blockSize elements per scale for Q8_0/Q4_0 (ignored for F32)
     */
    public SmqWriter addTensor(String name, SmqScheme scheme, long[] shape, int blockSize, Producer producer) {
        if (!scheme.readable()) {
            throw new IllegalArgumentException("SMQ scheme " + scheme + " is reserved and cannot be written");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > SmqFormat.NAME_BYTES || name.isEmpty()) {
            throw new IllegalArgumentException("SMQ tensor names are 1 to 64 UTF-8 bytes: " + name);
        }
        if (shape.length < 1 || shape.length > SmqFormat.MAX_RANK || (scheme.hasScales() && shape.length != 2)) {
            throw new IllegalArgumentException("tensor " + name + " has rank " + shape.length + ", SMQ " + scheme
                    + (scheme.hasScales() ? " needs rank 2" : " allows 1 to 8"));
        }
        long elements = 1;
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] <= 0 || shape[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor " + name + " has a dimension of " + shape[i] + " (SMQ stores int32 dims)");
            }
            dims[shape.length - 1 - i] = shape[i];
            elements = Math.multiplyExact(elements, shape[i]);
        }
        int block = scheme.hasScales() ? blockSize : 0;
        if (scheme.hasScales() && blockSize <= 0) {
            throw new IllegalArgumentException("tensor " + name + ": block size must be positive, not " + blockSize);
        }
        tensors.add(new Tensor(name, scheme, dims, block, scheme.dataBytes(elements),
                scheme.hasScales() ? scheme.scaleBytes(elements, block) : 0, producer));
        return this;
    }

    private byte[] header(byte[] json) {
        ByteBuffer b = ByteBuffer.allocate(SmqFormat.HEADER_SIZE + json.length + SmqFormat.ENTRY_SIZE * tensors.size())
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(SmqFormat.MAGIC).putInt(SmqFormat.VERSION).putInt(SmqFormat.HEADER_SIZE).putInt(tensors.size())
                .putInt(json.length).putLong(0);
        b.put(json);
        long cursor = b.capacity();
        for (Tensor t : tensors) {
            int at = b.position();
            b.put(Arrays.copyOf(t.name.getBytes(StandardCharsets.UTF_8), SmqFormat.NAME_BYTES));
            b.putInt(t.scheme.id()).putInt(t.dims.length);
            for (int d = 0; d < SmqFormat.MAX_RANK; d++) {
                b.putInt(d < t.dims.length ? (int) t.dims[d] : 0);
            }
            b.putInt(t.blockSize);
            b.putLong(cursor).putLong(t.dataBytes);
            cursor += t.dataBytes;
            b.putLong(t.scaleBytes == 0 ? 0 : cursor).putLong(t.scaleBytes);
            cursor += t.scaleBytes;
            b.position(at + SmqFormat.ENTRY_SIZE); // 16 reserved zero bytes
        }
        return b.array();
    }

    /** Exact size of the file {@link #write} produces. */
    public long fileSize() {
        long size = header(SmqMetadata.write(metadata)).length;
        for (Tensor t : tensors) {
            size += t.dataBytes + t.scaleBytes;
        }
        return size;
    }

    public void write(Path target) throws IOException {
        write(target, (written, total) -> { });
    }

    public void write(Path target, Progress progress) throws IOException {
        byte[] header = header(SmqMetadata.write(metadata));
        long total = fileSize();
        Path dir = target.toAbsolutePath().getParent();
        if (dir != null && Files.isDirectory(dir) && Files.getFileStore(dir).getUsableSpace() < total) {
            throw new IOException("cannot write " + target + ": it needs " + total + " bytes, " + dir + " has "
                    + Files.getFileStore(dir).getUsableSpace() + " free");
        }
        AtomicFile.write(target, ch -> {
            long written = 0;
            AtomicFile.writeFully(ch, ByteBuffer.wrap(header));
            written += header.length;
            progress.update(written, total);
            for (Tensor t : tensors) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment data = arena.allocate(Math.max(1, t.dataBytes)).asSlice(0, t.dataBytes);
                    MemorySegment scales = arena.allocate(Math.max(1, t.scaleBytes)).asSlice(0, t.scaleBytes);
                    t.producer.produce(data, scales);
                    written += put(ch, data) + put(ch, scales);
                }
                progress.update(written, total);
            }
            if (written != total) {
                throw new IllegalStateException("wrote " + written + " bytes, expected " + total);
            }
        });
    }

    private static long put(FileChannel ch, MemorySegment segment) throws IOException {
        long size = segment.byteSize();
        for (long at = 0; at < size; at += 1L << 30) {
            AtomicFile.writeFully(ch, segment.asSlice(at, Math.min(1L << 30, size - at)).asByteBuffer());
        }
        return size;
    }
}
