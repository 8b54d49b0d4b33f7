package llm4j.quant.smq;

import llm4j.quant.GgmlType;

/**
 * The tensor encodings of SmallMind's SMQ v1 files, with their on-disk ids. Only F32, Q8_0 and Q4_0 have a
 * defined layout; the other ids are reserved by SmallMind (nothing writes or reads them) and are refused.
 */
public enum SmqScheme {
    F32(1, true, GgmlType.F32),
    F16(2, false, GgmlType.F16),
    Q8_0(10, true, GgmlType.Q8_0),
    Q4_0(11, true, GgmlType.Q4_0),
    Q4_1(12, false, GgmlType.Q4_1),
    Q5_0(13, false, GgmlType.Q5_0),
    Q4_K(20, false, GgmlType.Q4_K),
    Q6_K(21, false, GgmlType.Q6_K);

    private final int id;
    private final boolean readable;
    private final GgmlType family;

    SmqScheme(int id, boolean readable, GgmlType family) {
        this.id = id;
        this.readable = readable;
        this.family = family;
    }

    /** The scheme stored as {@code id}, or null for an id SMQ does not define. */
    public static SmqScheme byId(long id) {
        for (SmqScheme s : values()) {
            if (s.id == id) {
                return s;
            }
        }
        return null;
    }

    public int id() {
        return id;
    }

    /** Whether SMQ v1 defines a data layout for it (F32, Q8_0, Q4_0); the rest are reserved ids. */
    public boolean readable() {
        return readable;
    }

    /** Whether values come in blocks with a separate array of float32 scales (Q8_0, Q4_0). */
    public boolean hasScales() {
        return this == Q8_0 || this == Q4_0;
    }

    /**
     * The ggml type with the same kind of values (8-bit or 4-bit symmetric codes with one scale per block, or
     * plain floats). Only a label: the byte layouts differ from ggml's except for F32.
     */
    public GgmlType family() {
        return family;
    }

    /** Bytes of the data blob for {@code elements} values. */
    public long dataBytes(long elements) {
        return switch (this) {
            case F32 -> Math.multiplyExact(elements, 4L);
            case F16 -> Math.multiplyExact(elements, 2L);
            case Q8_0 -> elements;
            case Q4_0 -> (elements + 1) / 2;
            default -> throw new IllegalStateException("SMQ scheme " + this + " has no defined layout");
        };
    }

    /** Bytes of the scale blob: one float32 per block of {@code blockSize} values (the last block may be short). */
    public long scaleBytes(long elements, long blockSize) {
        return hasScales() ? Math.multiplyExact((elements + blockSize - 1) / blockSize, 4L) : 0;
    }

    /** "Q8_0" as SmallMind names it. */
    public String label() {
        return name();
    }
}
