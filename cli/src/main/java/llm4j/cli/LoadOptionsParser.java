package llm4j.cli;

import llm4j.model.LoadOptions;
import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormats;

/** {@code --quantize-on-load TYPE} to {@link LoadOptions}. */
final class LoadOptionsParser {

    private LoadOptionsParser() {
    }

    static LoadOptions parse(String quantizeOnLoad) {
        if (quantizeOnLoad == null) {
            return LoadOptions.DEFAULT;
        }
        GgmlType type = GgmlType.byName(quantizeOnLoad);
        if (type == null || !QuantFormats.has(type)) {
            throw CliException.usage("--quantize-on-load: unknown or unsupported type '" + quantizeOnLoad + "' (e.g. q8_0, q4_0, q4_k)");
        }
        return new LoadOptions(type);
    }
}
