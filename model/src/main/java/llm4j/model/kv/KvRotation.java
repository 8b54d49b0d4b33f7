package llm4j.model.kv;

/**
 * An on/off/auto switch for the treatments keys get before they are quantized (Hadamard rotation,
 * channel smoothing); AUTO turns each on where it pays, see {@link PagedKvCache}.
 */
public enum KvRotation {
    /** Rotation: on when a key rung stores fewer than 8 bits. Smoothing: on when a key rung is block-quantized. */
    AUTO,
    ON,
    OFF
}
