package llm4j.testdata.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.Set;

import llm4j.testdata.gguf.GgufLayout;
import llm4j.testdata.gguf.GgufLayout.Field;
import llm4j.testdata.gguf.GgufLayout.Kind;

/**
 * Damages a valid GGUF file the ways a corrupt download or a hostile author would: bit flips and
 * byte overwrites in the header, the metadata and the tensor infos, extreme values written into
 * counts, lengths, type ids, dimensions and offsets. Every mutation leaves the tensor data alone,
 * so what is tested is the parsing, not the kernels. (Truncation needs no mutator: the tests cut
 * the file at the boundaries {@link GgufLayout} lists.)
 */
public final class GgufMutator {

    /** Fields whose value decides how much is read or allocated: where hostile values hurt most. */
    private static final Set<Kind> STRUCTURAL = Set.of(Kind.VERSION, Kind.TENSOR_COUNT, Kind.KV_COUNT, Kind.KEY_LENGTH,
            Kind.VALUE_TYPE, Kind.STRING_LENGTH, Kind.ARRAY_TYPE, Kind.ARRAY_LENGTH, Kind.TENSOR_NAME_LENGTH,
            Kind.DIMENSION_COUNT, Kind.DIMENSION, Kind.TENSOR_TYPE, Kind.TENSOR_OFFSET, Kind.SCALAR);

    private static final int MAX_OVERWRITE = 16;

    private final byte[] original;
    private final GgufLayout layout;
    private final List<Field> structural;
    private final long metadataEnd;

    public GgufMutator(byte[] original) {
        this.original = original;
        this.layout = GgufLayout.of(original);
        this.structural = layout.fields().stream().filter(f -> STRUCTURAL.contains(f.kind())).toList();
        this.metadataEnd = layout.kvEnds().isEmpty() ? layout.headerEnd() : layout.kvEnds().getLast();
    }

    public GgufLayout layout() {
        return layout;
    }

    /**
     * How many leading bytes a mutation from {@link #any} may change: the header, metadata and tensor
     * infos plus the longest overwrite that can start at their last byte. A case file holding the
     * original can be turned into any mutation by rewriting just this prefix.
     */
    public int mutablePrefix() {
        return (int) Math.min(original.length, layout.dataStart() + MAX_OVERWRITE);
    }

    /** One of the mutations below, chosen by {@code random}. */
    public Mutation any(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> bitFlips(random);
            case 1 -> overwrite(random);
            default -> extremeField(random);
        };
    }

    /** One to eight flipped bits, all in one section (header, metadata or tensor infos). */
    public Mutation bitFlips(Random random) {
        byte[] bytes = original.clone();
        long[] section = section(random);
        int flips = 1 + random.nextInt(8);
        StringBuilder what = new StringBuilder("bit flips at");
        for (int i = 0; i < flips; i++) {
            int at = (int) (section[0] + random.nextLong(section[1] - section[0]));
            int bit = random.nextInt(8);
            bytes[at] ^= (byte) (1 << bit);
            what.append(' ').append(at).append('.').append(bit);
        }
        return new Mutation(what.toString(), bytes);
    }

    /** One to sixteen random bytes written over one section. */
    public Mutation overwrite(Random random) {
        byte[] bytes = original.clone();
        long[] section = section(random);
        int at = (int) (section[0] + random.nextLong(section[1] - section[0]));
        int n = Math.min(1 + random.nextInt(MAX_OVERWRITE), bytes.length - at);
        for (int i = 0; i < n; i++) {
            bytes[at + i] = (byte) random.nextInt(256);
        }
        return new Mutation("overwrote " + n + " bytes at " + at, bytes);
    }

    /** A count, length, type id, dimension, offset or scalar replaced by an extreme value. */
    public Mutation extremeField(Random random) {
        return extreme(random, structural.get(random.nextInt(structural.size())));
    }

    /**
     * A scalar metadata value (the hyper-parameters: widths, counts, eps, rope base) replaced by an
     * extreme value: files that still parse and must then be refused by the configuration checks.
     */
    public Mutation extremeScalar(Random random) {
        List<Field> scalars = layout.fields(Kind.SCALAR);
        return scalars.isEmpty() ? extremeField(random) : extreme(random, scalars.get(random.nextInt(scalars.size())));
    }

    /** A tensor's dimension, type or data offset replaced by an extreme value. */
    public Mutation extremeTensorInfo(Random random) {
        List<Field> infos = layout.fields().stream().filter(f -> f.kind() == Kind.DIMENSION
                || f.kind() == Kind.TENSOR_TYPE || f.kind() == Kind.TENSOR_OFFSET).toList();
        return infos.isEmpty() ? extremeField(random) : extreme(random, infos.get(random.nextInt(infos.size())));
    }

    private Mutation extreme(Random random, Field field) {
        long value = extremeValue(random, field);
        byte[] bytes = original.clone();
        ByteBuffer out = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int at = (int) field.offset();
        switch (field.width()) {
            case 1 -> bytes[at] = (byte) value;
            case 2 -> out.putShort(at, (short) value);
            case 4 -> out.putInt(at, (int) value);
            default -> out.putLong(at, value);
        }
        return new Mutation(field.kind() + " of " + field.label() + " at " + at + " set to " + value
                + " (0x" + Long.toHexString(value) + ")", bytes);
    }

    private long extremeValue(Random random, Field field) {
        long current = switch (field.width()) {
            case 1 -> original[(int) field.offset()];
            case 2 -> ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getShort((int) field.offset());
            case 4 -> ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getInt((int) field.offset());
            default -> ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong((int) field.offset());
        };
        long size = original.length;
        long[] candidates = {0, 1, 2, 3, 4, 7, 31, 255, -1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE,
            1L << 31, 1L << 32, (1L << 32) - 1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 7,
            size, size - 1, size + 1, size * 2, current + 1, current - 1, current * 2, current + 32, current - 32,
            current ^ Long.MIN_VALUE, random.nextLong()};
        return candidates[random.nextInt(candidates.length)];
    }

    /** [start, end) of a random section; the tiny fixed header is picked as often as the rest. */
    private long[] section(Random random) {
        long infosEnd = layout.tensorInfoEnds().isEmpty() ? metadataEnd : layout.tensorInfoEnds().getLast();
        return switch (random.nextInt(3)) {
            case 0 -> new long[] {0, layout.headerEnd()};
            case 1 -> new long[] {layout.headerEnd(), Math.max(layout.headerEnd() + 1, metadataEnd)};
            default -> new long[] {metadataEnd, Math.max(metadataEnd + 1, infosEnd)};
        };
    }
}
