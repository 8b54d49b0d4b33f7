package llm4j.model.kv;

/** Whether keys (and queries) are Hadamard-rotated before keys are quantized. */
public enum KvRotation {
    /** On exactly when some rung of the key ladder stores fewer than 8 bits per value. */
    AUTO,
    ON,
    OFF
}
