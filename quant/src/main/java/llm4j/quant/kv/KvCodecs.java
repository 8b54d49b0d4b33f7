package llm4j.quant.kv;

import java.util.List;
import java.util.Locale;

/** The cache types by name, in the order the command line lists them. */
public final class KvCodecs {

    public static final List<KvCodec> ALL = List.of(
            F32Codec.INSTANCE, F16Codec.INSTANCE, Bf16Codec.INSTANCE, Q8_0Codec.INSTANCE,
            Q5_0Codec.INSTANCE, Q4_1Codec.INSTANCE, Q4_0Codec.INSTANCE, Nf4Codec.INSTANCE);

    private KvCodecs() {
    }

    /** The codec named {@code name} (case-insensitive), or null when there is none. */
    public static KvCodec byName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (KvCodec c : ALL) {
            if (c.name().equals(n)) {
                return c;
            }
        }
        return null;
    }

    /** "f32, f16, ..." for error messages. */
    public static String names() {
        return String.join(", ", ALL.stream().map(KvCodec::name).toList());
    }
}
