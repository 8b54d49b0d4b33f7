package llm4j.model;

import llm4j.quant.GgmlType;

/**
 * How {@link Model#load} treats the weights.
 *
 * @param quantizeTo re-encode every matrix to this type at load time (into memory the model owns), or null to use
 *                   the weights as stored
 */
public record LoadOptions(GgmlType quantizeTo) {

    public static final LoadOptions DEFAULT = new LoadOptions(null);
}
