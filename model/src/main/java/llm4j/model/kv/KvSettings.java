package llm4j.model.kv;

import java.util.List;
import java.util.Objects;

import llm4j.quant.kv.F16Codec;
import llm4j.quant.kv.KvCodec;
import llm4j.quant.kv.Q4_0Codec;
import llm4j.quant.kv.Q8_0Codec;

/**
 * How a cache stores keys and values and what it does under a memory cap.
 *
 * @param keyType     type new keys are stored at (the top rung of the key ladder)
 * @param valueType   type new values are stored at
 * @param rotation    Hadamard rotation of keys
 * @param smoothing   per-channel power-of-two equalization of quantized keys
 * @param capBytes    hard limit on accounted bytes, 0 for none (then the context length alone sizes the cache)
 * @param ladder      the precision ladder; rungs below each configured type are used in this order
 * @param keepRecent  most recent positions that always stay at the configured types
 * @param sinks       first positions that always stay at the configured types (attention sinks)
 * @param overflow    what happens when the lowest rung is reached everywhere it may be
 * @param keep        tokens kept at the start by a context shift
 */
public record KvSettings(KvCodec keyType, KvCodec valueType, KvRotation rotation, KvRotation smoothing, long capBytes,
                         List<KvCodec> ladder, int keepRecent, int sinks, KvOverflow overflow, int keep) {

    public static final List<KvCodec> DEFAULT_LADDER = List.of(F16Codec.INSTANCE, Q8_0Codec.INSTANCE, Q4_0Codec.INSTANCE);
    public static final int DEFAULT_KEEP_RECENT = 256;
    public static final int DEFAULT_SINKS = 4;

    public KvSettings {
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(valueType, "valueType");
        Objects.requireNonNull(rotation, "rotation");
        Objects.requireNonNull(smoothing, "smoothing");
        Objects.requireNonNull(overflow, "overflow");
        ladder = List.copyOf(ladder);
        if (capBytes < 0 || keepRecent < 0 || sinks < 0 || keep < 0) {
            throw new IllegalArgumentException("cap, keep-recent, sinks and keep must not be negative");
        }
    }

    /** llama.cpp's defaults: f16 keys and values, no cap. */
    public static KvSettings defaults() {
        return of(F16Codec.INSTANCE, F16Codec.INSTANCE);
    }

    /** The given types with default rotation, no cap, the default ladder and windows. */
    public static KvSettings of(KvCodec keyType, KvCodec valueType) {
        return new KvSettings(keyType, valueType, KvRotation.AUTO, KvRotation.AUTO, 0, DEFAULT_LADDER, DEFAULT_KEEP_RECENT,
                DEFAULT_SINKS, KvOverflow.ERROR, 0);
    }

    public KvSettings withRotation(KvRotation r) {
        return new KvSettings(keyType, valueType, r, smoothing, capBytes, ladder, keepRecent, sinks, overflow, keep);
    }

    /** Both outlier treatments of quantized keys at once: Hadamard rotation and channel smoothing. */
    public KvSettings withKeyTreatment(KvRotation r) {
        return new KvSettings(keyType, valueType, r, r, capBytes, ladder, keepRecent, sinks, overflow, keep);
    }

    public KvSettings withSmoothing(KvRotation r) {
        return new KvSettings(keyType, valueType, rotation, r, capBytes, ladder, keepRecent, sinks, overflow, keep);
    }

    public KvSettings withCap(long bytes, KvOverflow policy) {
        return new KvSettings(keyType, valueType, rotation, smoothing, bytes, ladder, keepRecent, sinks, policy, keep);
    }

    public KvSettings withLadder(List<KvCodec> rungs) {
        return new KvSettings(keyType, valueType, rotation, smoothing, capBytes, rungs, keepRecent, sinks, overflow, keep);
    }

    public KvSettings withKeepRecent(int n) {
        return new KvSettings(keyType, valueType, rotation, smoothing, capBytes, ladder, n, sinks, overflow, keep);
    }

    public KvSettings withKeep(int n) {
        return new KvSettings(keyType, valueType, rotation, smoothing, capBytes, ladder, keepRecent, sinks, overflow, n);
    }

    public boolean capped() {
        return capBytes > 0;
    }
}
