package llm4j.model.bench;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

import llm4j.loader.MetadataValue;
import llm4j.loader.TensorView;
import llm4j.model.LayerWeights;
import llm4j.model.Linear;
import llm4j.model.Model;
import llm4j.model.quantize.Mixture;
import llm4j.quant.GgmlType;

/**
 * What a benchmark table says about the model: llama-bench's size (bytes of all tensors) and
 * parameter count (elements of all tensors), the weight type, and the bytes a generated token reads.
 *
 * @param type the file type as llama-quantize names it ({@code Q4_K_M}), else the type holding most layer weights
 */
public record BenchModel(String file, String architecture, String type, long size, long params, long bytesPerToken) {

    public static BenchModel of(Model m) {
        long size = 0;
        long params = 0;
        for (TensorView t : m.file().tensors()) {
            size += t.byteSize();
            params += t.elementCount();
        }
        return new BenchModel(m.file().path().getFileName().toString(), m.config().architecture(), type(m), size, params,
                Roofline.bytesPerToken(m.transformer().weights()));
    }

    /** llama-bench's model column: architecture and size class, e.g. {@code llama 135M}, {@code llama 1.1B}, {@code llama 292K}. */
    public String description() {
        String scale;
        if (params >= 1_000_000_000L) {
            scale = String.format(Locale.ROOT, "%.1fB", params / 1e9);
        } else if (params >= 1_000_000L) {
            scale = String.format(Locale.ROOT, "%dM", Math.round(params / 1e6));
        } else {
            scale = String.format(Locale.ROOT, "%dK", Math.round(params / 1e3));
        }
        return architecture + " " + scale;
    }

    private static String type(Model m) {
        MetadataValue fileType = m.file().metadata().get("general.file_type").orElse(null);
        if (fileType != null && fileType.type().isInteger()) {
            long id = (Long) fileType.value();
            for (Mixture mix : Mixture.values()) {
                if (mix.fileType() == id) {
                    return mix.name();
                }
            }
        }
        // no (known) file type, e.g. a Hugging Face folder: name the type most layer weight bytes are in
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (LayerWeights l : m.transformer().weights().layers()) {
            for (Linear lin : new Linear[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                bytes.merge(lin.weight().type(), lin.weight().byteSize(), Long::sum);
            }
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("?");
    }
}
