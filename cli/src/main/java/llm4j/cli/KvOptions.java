package llm4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import llm4j.model.Model;
import llm4j.model.kv.KvOverflow;
import llm4j.model.kv.KvRotation;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.KvCodecs;
import picocli.CommandLine.Option;

/** The K/V cache flags every command that evaluates a model shares (run, perplexity, bench, chat, serve). */
public final class KvOptions {

    @Option(names = "--kv-quant", paramLabel = "TYPE",
            description = "Cache type for keys and values: f32, f16, bf16, q8_0, q5_0, q4_1, q4_0, nf4. Default: f16.")
    String both;

    @Option(names = {"-ctk", "--cache-type-k"}, paramLabel = "TYPE", description = "Cache type for keys (overrides --kv-quant).")
    String keyType;

    @Option(names = {"-ctv", "--cache-type-v"}, paramLabel = "TYPE", description = "Cache type for values (overrides --kv-quant).")
    String valueType;

    @Option(names = "--kv-rotate", paramLabel = "on|off",
            description = "Hadamard-rotate keys before quantizing. Default: on when a key type has fewer than 8 bits and head_dim is a multiple of 32.")
    String rotate;

    @Option(names = "--kv-smooth", paramLabel = "on|off",
            description = "Equalize key channels with power-of-two scales before quantizing (exact for q·k). Default: on for quantized key types.")
    String smooth;

    @Option(names = "--kv-mem-cap", paramLabel = "SIZE",
            description = "Hard limit on the cache's bytes (e.g. 64M, 1.5G, 512K); older positions step down the ladder to stay under it.")
    String cap;

    @Option(names = "--kv-ladder", paramLabel = "TYPES", defaultValue = "f16,q8_0,q4_0",
            description = "Precision ladder under a cap, highest first. Default: ${DEFAULT-VALUE}.")
    String ladder;

    @Option(names = "--kv-keep-recent", paramLabel = "N", defaultValue = "256",
            description = "Most recent positions kept at the configured types under a cap. Default: ${DEFAULT-VALUE}.")
    int keepRecent;

    @Option(names = "--kv-overflow", paramLabel = "POLICY", defaultValue = "error",
            description = "When the ladder is exhausted: error, evict (drop the middle, StreamingLLM) or shift (llama.cpp context shift). Default: ${DEFAULT-VALUE}.")
    String overflow;

    @Option(names = "--keep", paramLabel = "N", defaultValue = "0",
            description = "Tokens kept at the start by a context shift (at least the 4 attention sinks). Default: ${DEFAULT-VALUE}.")
    int keep;

    /** The parsed settings; a usage error for an unknown type, policy or size. */
    KvSettings settings() {
        return settings(both);
    }

    /** The --kv-quant value split at commas: bench runs one row per type. Null in the list when the flag is absent. */
    List<String> kvQuantList() {
        return both == null ? java.util.Collections.singletonList(null) : List.of(both.split(",", -1));
    }

    /** {@link #settings()} with {@code kvQuant} (one of {@link #kvQuantList()}) in place of --kv-quant. */
    KvSettings settings(String kvQuant) {
        String both = kvQuant;
        KvCodec k = codec(keyType != null ? keyType : both != null ? both : "f16", keyType != null ? "-ctk" : "--kv-quant");
        KvCodec v = codec(valueType != null ? valueType : both != null ? both : "f16", valueType != null ? "-ctv" : "--kv-quant");
        KvRotation rotation = onOff("--kv-rotate", rotate);
        KvRotation smoothing = onOff("--kv-smooth", smooth);
        KvOverflow policy = KvOverflow.parse(overflow);
        if (policy == null) {
            throw CliException.usage("--kv-overflow must be error, evict or shift, not '" + overflow + "'");
        }
        if (keepRecent < 0) {
            throw CliException.usage("--kv-keep-recent must not be negative, not " + keepRecent);
        }
        if (keep < 0) {
            throw CliException.usage("--keep must not be negative, not " + keep);
        }
        long capBytes = cap == null ? 0 : parseSize(cap);
        return new KvSettings(k, v, rotation, smoothing, capBytes, ladder(), keepRecent, KvSettings.DEFAULT_SINKS, policy, keep);
    }

    private static KvRotation onOff(String flag, String value) {
        return switch (value == null ? "auto" : value.toLowerCase(Locale.ROOT)) {
            case "auto" -> KvRotation.AUTO;
            case "on" -> KvRotation.ON;
            case "off" -> KvRotation.OFF;
            default -> throw CliException.usage(flag + " must be on or off, not '" + value + "'");
        };
    }

    private List<KvCodec> ladder() {
        List<KvCodec> rungs = new ArrayList<>();
        for (String name : ladder.split(",")) {
            rungs.add(codec(name, "--kv-ladder"));
        }
        return rungs;
    }

    private static KvCodec codec(String name, String flag) {
        KvCodec c = KvCodecs.byName(name);
        if (c == null) {
            throw CliException.usage(flag + ": unknown KV cache type '" + name + "' (known: " + KvCodecs.names() + ")");
        }
        return c;
    }

    /** "64M", "1.5G", "512K", "100000" (bytes); binary multiples, as llama.cpp and the JVM use them. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> unit = 1;
            }
            if (unit > 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            double value = Double.parseDouble(t);
            if (!(value > 0) || Double.isInfinite(value) || t.contains("E") || t.contains("X")) {
                throw new NumberFormatException();
            }
            return (long) Math.floor(value * unit);
        } catch (NumberFormatException e) {
            throw CliException.usage("--kv-mem-cap: '" + s + "' is not a size (e.g. 64M, 1.5G, 512K)");
        }
    }

    /**
     * The cache these flags describe for {@code context} positions. Checks what can be checked
     * before anything is evaluated: a ladder that does not shrink and a recent window the cap
     * cannot hold are usage errors; with overflow=error, {@code positionsNeeded} (prompt plus
     * tokens to generate) that cannot fit even at the lowest rung fail with exit code 1.
     */
    PagedKvCache newCache(Model m, int context, int positionsNeeded) {
        return newCache(m, context, positionsNeeded, both);
    }

    /** {@link #newCache(Model, int, int)} with {@code kvQuant} in place of --kv-quant (bench's list). */
    PagedKvCache newCache(Model m, int context, int positionsNeeded, String kvQuant) {
        KvSettings s = settings(kvQuant);
        PagedKvCache kv;
        try {
            kv = m.newCache(context, s);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (s.capped()) {
            int window = Math.min(context, s.sinks() + s.keepRecent() + PagedKvCache.PAGE_POSITIONS);
            long windowBytes = kv.minimumBytes(window);
            if (windowBytes > s.capBytes()) {
                throw CliException.usage(String.format(Locale.ROOT,
                        "--kv-keep-recent %d needs %d bytes at %s with the sinks, more than the --kv-mem-cap of %d bytes",
                        s.keepRecent(), windowBytes, s.keyType().name(), s.capBytes()));
            }
            if (s.overflow() == KvOverflow.ERROR) {
                long needed = kv.minimumBytes(Math.min(positionsNeeded, context));
                if (needed > s.capBytes()) {
                    throw CliException.failure(String.format(Locale.ROOT,
                            "KV cache cap of %d bytes cannot hold %d positions: they need %d bytes even at the lowest rung; "
                                    + "raise --kv-mem-cap, lower --kv-keep-recent, or use --kv-overflow evict|shift",
                            s.capBytes(), Math.min(positionsNeeded, context), needed));
                }
            }
        }
        return kv;
    }
}
