package llm4j.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import llm4j.loader.MetadataValue;
import llm4j.loader.TensorView;
import llm4j.loader.ValueType;
import llm4j.quant.GgmlType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;

/** Random metadata trees and tensors: written by {@link GgufWriter}, read back by {@link GgufFile}, equal. */
class GgufWriterRoundTripTest {

    private static final ValueType[] SCALARS = {ValueType.UINT8, ValueType.INT8, ValueType.UINT16, ValueType.INT16,
            ValueType.UINT32, ValueType.INT32, ValueType.FLOAT32, ValueType.BOOL, ValueType.STRING, ValueType.UINT64,
            ValueType.INT64, ValueType.FLOAT64};

    /** A tensor to write: its bytes come from {@code seed}. */
    record TensorSpec(String name, GgmlType type, long[] shape, long seed) {
        long bytes() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return type.bytesFor(n);
        }

        byte[] data() {
            byte[] b = new byte[(int) bytes()];
            new Random(seed).nextBytes(b);
            return b;
        }
    }

    record Model(Map<String, MetadataValue> metadata, List<TensorSpec> tensors) {
    }

    private final Path dir;

    GgufWriterRoundTripTest() throws IOException {
        dir = Files.createTempDirectory("gguf-roundtrip");
    }

    @AfterProperty
    void cleanUp() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Property(tries = 100)
    void writtenFileReadsBackIdentical(@ForAll("models") Model model) throws Exception {
        GgufWriter w = new GgufWriter();
        model.metadata().forEach(w::put);
        for (TensorSpec t : model.tensors()) {
            byte[] data = t.data();
            // feed the bytes in two uneven chunks, as a streaming source would
            w.addTensor(t.name(), t.type(), t.shape(), sink -> {
                int half = data.length / 3;
                sink.write(java.nio.ByteBuffer.wrap(data, 0, half));
                sink.write(MemorySegment.ofArray(data).asSlice(half));
            });
        }
        Path file = dir.resolve("m.gguf");
        w.write(file);
        assertEquals(w.fileSize(), Files.size(file));

        try (GgufFile read = GgufFile.open(file)) {
            assertEquals(3, read.version());
            assertEquals(List.copyOf(model.metadata().keySet()), List.copyOf(read.metadata().keys()));
            for (Map.Entry<String, MetadataValue> e : model.metadata().entrySet()) {
                MetadataValue back = read.metadata().get(e.getKey()).orElseThrow();
                assertTrue(MetadataEquality.same(e.getValue(), back), e.getKey() + ": " + e.getValue() + " read back as " + back);
            }
            int alignment = w.alignment();
            assertEquals(alignment, read.alignment());
            assertEquals(0, read.dataOffset() % alignment);
            assertEquals(model.tensors().size(), read.tensors().size());
            for (int i = 0; i < model.tensors().size(); i++) {
                TensorSpec want = model.tensors().get(i);
                TensorView got = read.tensors().get(i);
                assertEquals(want.name(), got.name());
                assertEquals(want.type(), got.type());
                assertArrayEquals(want.shape(), got.shape());
                assertEquals(0, (got.offset() - read.dataOffset()) % alignment, "tensor data aligned");
                assertArrayEquals(want.data(), got.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), want.name());
            }
        }
    }

    @Provide
    Arbitrary<Model> models() {
        Arbitrary<Map<String, MetadataValue>> metadata = Arbitraries.strings().alpha().numeric().withChars('.', '_', '-')
                .ofMinLength(1).ofMaxLength(24)
                .list().uniqueElements().ofMaxSize(12)
                .flatMap(keys -> value(0).list().ofSize(keys.size()).map(values -> {
                    Map<String, MetadataValue> m = new LinkedHashMap<>();
                    for (int i = 0; i < keys.size(); i++) {
                        m.put(keys.get(i), values.get(i));
                    }
                    return m;
                }));
        Arbitrary<Integer> alignment = Arbitraries.of(0, 0, 1, 8, 16, 32, 64, 256);
        Arbitrary<List<TensorSpec>> tensors = tensor().list().ofMaxSize(6).map(GgufWriterRoundTripTest::uniqueNames);
        return Combinators.combine(metadata, alignment, tensors).as((md, align, ts) -> {
            if (align != 0) {
                Map<String, MetadataValue> withAlignment = new LinkedHashMap<>();
                withAlignment.put("general.alignment", MetadataValue.of(ValueType.UINT32, (long) align));
                withAlignment.putAll(md);
                md = withAlignment;
            }
            return new Model(md, ts);
        });
    }

    private static List<TensorSpec> uniqueNames(List<TensorSpec> specs) {
        List<TensorSpec> out = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec t = specs.get(i);
            out.add(new TensorSpec("blk." + i + "." + t.name(), t.type(), t.shape(), t.seed()));
        }
        return out;
    }

    private Arbitrary<TensorSpec> tensor() {
        Arbitrary<GgmlType> types = Arbitraries.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q5_1,
                GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.I8, GgmlType.IQ4_NL);
        Arbitrary<long[]> outer = Arbitraries.longs().between(1, 3).list().ofMaxSize(3)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        return Combinators.combine(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20), types,
                        Arbitraries.longs().between(1, 3), outer, Arbitraries.longs())
                .as((name, type, blocks, rest, seed) -> {
                    long[] shape = new long[1 + rest.length];
                    shape[0] = blocks * type.blockSize();
                    System.arraycopy(rest, 0, shape, 1, rest.length);
                    return new TensorSpec(name, type, shape, seed);
                });
    }

    private Arbitrary<MetadataValue> value(int depth) {
        Arbitrary<MetadataValue> scalar = Arbitraries.of(SCALARS).flatMap(t -> scalar(t).map(v -> MetadataValue.of(t, v)));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, scalar),
                net.jqwik.api.Tuple.of(2, array(depth)));
    }

    private Arbitrary<MetadataValue> array(int depth) {
        List<ValueType> elementTypes = new ArrayList<>(List.of(SCALARS));
        if (depth < 2) {
            elementTypes.add(ValueType.ARRAY);
        }
        return Arbitraries.of(elementTypes).flatMap(t -> {
            if (t == ValueType.ARRAY) {
                return Arbitraries.lazy(() -> array(depth + 1)).list().ofMaxSize(4)
                        .map(list -> MetadataValue.array(ValueType.ARRAY, List.copyOf(list)));
            }
            return scalar(t).list().ofMaxSize(10).map(list -> MetadataValue.array(t, toArray(t, list)));
        });
    }

    private static Object toArray(ValueType t, List<Object> list) {
        int n = list.size();
        return switch (t) {
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Float) list.get(i);
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Double) list.get(i);
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Boolean) list.get(i);
                }
                yield a;
            }
            case STRING -> list.toArray(new String[0]);
            default -> list.stream().mapToLong(o -> (Long) o).toArray();
        };
    }

    @SuppressWarnings("unchecked")
    private static Arbitrary<Object> scalar(ValueType t) {
        Arbitrary<?> a = switch (t) {
            case UINT8 -> Arbitraries.longs().between(0, 0xFF);
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> Arbitraries.longs().between(0, 0xFFFF);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> Arbitraries.longs().between(0, 0xFFFF_FFFFL);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> Arbitraries.longs();
            // every bit pattern, NaN payloads and signed zeros included
            case FLOAT32 -> Arbitraries.integers().map(Float::intBitsToFloat);
            case FLOAT64 -> Arbitraries.longs().map(Double::longBitsToDouble);
            case BOOL -> Arbitraries.of(true, false);
            case STRING -> Arbitraries.integers().between(0, 0x10FFFF)
                    .filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                    .list().ofMaxSize(12)
                    .map(cps -> {
                        StringBuilder sb = new StringBuilder();
                        cps.forEach(sb::appendCodePoint);
                        return sb.toString();
                    });
            case ARRAY -> throw new IllegalArgumentException();
        };
        return (Arbitrary<Object>) a;
    }
}
