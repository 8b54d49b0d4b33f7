package llm4j.loader.smq;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorLayout;
import llm4j.loader.TensorView;
import llm4j.quant.smq.SmqScheme;

/**
 * Reads an SMQ v1 file (SmallMind): 32-byte header, metadata JSON, 156-byte directory entries, then data at the
 * absolute, unaligned offsets the entries give. Applies SmqReader's and SmqValidator's rules, every count and
 * offset checked against the file size before it is used.
 */
final class SmqParser {

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Parsed(int version, Metadata metadata, List<TensorView> tensors) {
    }

    private final Path path;
    private final MemorySegment mapping;
    private final long size;

    SmqParser(Path path, MemorySegment mapping) {
        this.path = path;
        this.mapping = mapping;
        this.size = mapping.byteSize();
    }

    Parsed parse() throws ModelFormatException {
        if (size < SmqFormat.HEADER_SIZE) {
            throw error(0, "file of " + size + " bytes is shorter than the 32-byte SMQ header");
        }
        if (!Arrays.equals(mapping.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE), SmqFormat.MAGIC)) {
            throw error(0, "not an SMQ file (magic is not SMQv0001)");
        }
        long version = u32(8);
        if (version != SmqFormat.VERSION) {
            throw error(8, "unsupported SMQ format version " + version + " (llm4j reads version 1)");
        }
        long headerSize = u32(12);
        if (headerSize != SmqFormat.HEADER_SIZE) {
            throw error(12, "header size " + headerSize + " is not 32");
        }
        long count = u32(16);
        long metadataLength = u32(20);
        if (SmqFormat.HEADER_SIZE + metadataLength > size) {
            throw error(20, "metadata of " + metadataLength + " bytes runs past the end of the file (" + size + " bytes)");
        }
        Metadata metadata = metadataLength == 0
                ? new Metadata(path, Map.of(), true)
                : SmqMetadata.parse(path, mapping.asSlice(SmqFormat.HEADER_SIZE, metadataLength).toArray(ValueLayout.JAVA_BYTE),
                        SmqFormat.HEADER_SIZE);
        long directory = SmqFormat.HEADER_SIZE + metadataLength;
        if (count * SmqFormat.ENTRY_SIZE > size - directory) {
            throw error(16, "tensor count " + count + " needs a directory of " + count * SmqFormat.ENTRY_SIZE
                    + " bytes at offset " + directory + ", past the end of the file (" + size + " bytes)");
        }
        // SmallMind's GGUF import keeps GGUF's dimension order (contiguous first); everything else is row-major
        boolean ggmlOrder = "GGUF".equals(metadata.get(SmqFormat.CONVERTED_FROM).map(v -> v.value()).orElse(null));
        Map<String, TensorView> byName = new LinkedHashMap<>();
        List<Range> ranges = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            TensorView t = entry(directory + i * SmqFormat.ENTRY_SIZE, ggmlOrder, ranges);
            byName.remove(t.name()); // a repeated name: the last entry wins, as in SmallMind's dictionary
            byName.put(t.name(), t);
        }
        checkOverlaps(ranges);
        return new Parsed((int) version, metadata, List.copyOf(byName.values()));
    }

    private record Range(String what, long entryAt, long start, long length) {
    }

    private TensorView entry(long at, boolean ggmlOrder, List<Range> ranges) throws ModelFormatException {
        String name = name(at);
        long schemeId = u32(at + SmqFormat.SCHEME);
        SmqScheme scheme = SmqScheme.byId(schemeId);
        if (scheme == null) {
            throw error(at, "tensor '" + name + "' has unknown SMQ scheme id " + schemeId);
        }
        if (!scheme.readable()) {
            throw error(at, "tensor '" + name + "' uses SMQ scheme " + scheme.label() + " (id " + scheme.id()
                    + "), a reserved id that SMQ v1 defines no layout for; llm4j reads F32, Q8_0 and Q4_0");
        }
        int rank = mapping.get(U32, at + SmqFormat.RANK);
        if (rank < 1 || rank > SmqFormat.MAX_RANK) {
            throw error(at, "tensor '" + name + "' has rank " + rank + " (1 to 8 allowed)");
        }
        long[] dims = new long[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++) {
            dims[d] = mapping.get(U32, at + SmqFormat.DIMS + 4L * d);
            if (dims[d] <= 0) {
                throw error(at, "tensor '" + name + "' has dimension " + d + " of size " + dims[d]);
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw error(at, "tensor '" + name + "' element count overflows");
            }
        }
        long blockSize = u32(at + SmqFormat.BLOCK_SIZE);
        long dataOffset = mapping.get(U64, at + SmqFormat.DATA_OFFSET);
        long dataLength = mapping.get(U64, at + SmqFormat.DATA_LENGTH);
        long auxOffset = mapping.get(U64, at + SmqFormat.AUX_OFFSET);
        long auxLength = mapping.get(U64, at + SmqFormat.AUX_LENGTH);
        if (scheme.hasScales()) {
            if (rank != 2) {
                throw error(at, "tensor '" + name + "' is " + scheme.label() + " with rank " + rank + "; SMQ requires rank 2");
            }
            if (blockSize == 0 || blockSize > Integer.MAX_VALUE) {
                throw error(at, "tensor '" + name + "' is " + scheme.label() + " with block size " + blockSize);
            }
        }
        long expectedData;
        long expectedAux;
        try {
            // the element count fits a long, its size in F32 bytes may not
            expectedData = scheme.dataBytes(elements);
            expectedAux = scheme.hasScales() ? scheme.scaleBytes(elements, blockSize) : 0;
        } catch (ArithmeticException e) {
            throw error(at, "tensor '" + name + "' byte size of " + elements + " " + scheme.label() + " elements overflows");
        }
        if (dataLength != expectedData) {
            throw error(at, "tensor '" + name + "' has " + Long.toUnsignedString(dataLength) + " data bytes, "
                    + scheme.label() + " " + Arrays.toString(dims) + " needs " + expectedData);
        }
        if (auxLength != expectedAux) {
            throw error(at, "tensor '" + name + "' has " + Long.toUnsignedString(auxLength) + " scale bytes, expected " + expectedAux);
        }
        checkRange(at, name, "data", dataOffset, dataLength);
        checkRange(at, name, "scales", auxOffset, auxLength);
        ranges.add(new Range("data of '" + name + "'", at, dataOffset, dataLength));
        ranges.add(new Range("scales of '" + name + "'", at, auxOffset, auxLength));
        long[] shape = ggmlOrder ? dims.clone() : reversed(dims);
        MemorySegment data = mapping.asSlice(dataOffset, dataLength);
        if (scheme.hasScales()) {
            TensorLayout layout = new TensorLayout.SmqBlocks(scheme, (int) blockSize, auxOffset, mapping.asSlice(auxOffset, auxLength));
            return new TensorView(name, scheme.family(), shape, dataOffset, data, layout);
        }
        return new TensorView(name, scheme.family(), shape, dataOffset, data);
    }

    private void checkRange(long at, String name, String what, long offset, long length) throws ModelFormatException {
        if (length == 0) {
            return;
        }
        if (offset == 0 || offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw error(at, "tensor '" + name + "' " + what + " (" + Long.toUnsignedString(length) + " bytes at offset "
                    + Long.toUnsignedString(offset) + ") lies outside the file (" + size + " bytes)");
        }
    }

    private void checkOverlaps(List<Range> ranges) throws ModelFormatException {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.removeIf(r -> r.length == 0);
        sorted.sort(Comparator.comparingLong(Range::start));
        for (int i = 1; i < sorted.size(); i++) {
            Range prev = sorted.get(i - 1);
            Range next = sorted.get(i);
            if (prev.start + prev.length > next.start) {
                throw error(next.entryAt, next.what + " overlaps the " + prev.what);
            }
        }
    }

    /** The NUL-padded UTF-8 name: bytes up to the first NUL, or all 64. */
    private String name(long at) throws ModelFormatException {
        byte[] raw = mapping.asSlice(at, SmqFormat.NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < raw.length && raw[length] != 0) {
            length++;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(raw, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw error(at, "tensor name is not valid UTF-8");
        }
    }

    private static long[] reversed(long[] dims) {
        long[] out = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = dims[dims.length - 1 - i];
        }
        return out;
    }

    private long u32(long at) {
        return Integer.toUnsignedLong(mapping.get(U32, at));
    }

    private ModelFormatException error(long at, String problem) {
        return new ModelFormatException(path, at, problem);
    }
}
