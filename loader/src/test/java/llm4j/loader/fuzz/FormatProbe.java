package llm4j.loader.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import llm4j.loader.Metadata;
import llm4j.loader.ModelFile;
import llm4j.loader.ModelFiles;
import llm4j.loader.ModelFormatException;
import llm4j.loader.TensorView;
import llm4j.quant.WeightTensor;

/**
 * The safetensors and SMQ counterpart of {@link OpenProbe}: open a file or folder of any format and use all of it,
 * down to a matrix over every tensor with its first and last row decoded and multiplied, because what the loader
 * accepts the model binds without further checks. Safetensors may hold empty tensors, so a zero-byte view is
 * allowed here (GGUF never has one).
 */
final class FormatProbe {

    private FormatProbe() {
    }

    static Callable<Void> openThenProbe(Path path) {
        return () -> {
            try (ModelFile model = ModelFiles.open(path)) {
                probe(model);
            }
            return null;
        };
    }

    static void probe(ModelFile model) {
        Metadata md = model.metadata();
        for (String key : md.keys()) {
            OpenProbe.callEveryGetter(md, key);
        }
        for (TensorView t : model.tensors()) {
            long bytes = t.data().byteSize();
            assertTrue(t.offset() >= 0 && t.offset() + bytes <= model.fileSize(), t.name());
            long elements = t.elementCount();
            if (bytes == 0) {
                assertTrue(elements == 0, t.name() + " has no bytes for " + elements + " elements");
                continue;
            }
            t.data().get(ValueLayout.JAVA_BYTE, 0);
            t.data().get(ValueLayout.JAVA_BYTE, bytes - 1);
            long rows = t.rows();
            long cols = t.cols();
            if (rows <= Integer.MAX_VALUE && cols <= Integer.MAX_VALUE && cols <= 1 << 24) {
                WeightTensor w = t.matrix((int) rows, (int) cols);
                float[] row = new float[(int) cols];
                for (int r : new int[] {0, (int) rows - 1}) {
                    w.dequantizeRow(r, row, 0);
                    w.dot(r, row, 0);
                }
            }
        }
        checkSummary(model);
    }

    /** Sanity of the summary values every command prints. */
    private static void checkSummary(ModelFile model) {
        assertTrue(model.fileSize() > 0);
        assertFalse(model.format().isBlank());
    }

    /** One printable line that says what is wrong (the file may be a shard or an index inside a folder). */
    static void assertOneLine(ModelFormatException e) {
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), "multi-line message: " + message);
        assertFalse(e.problem().isBlank(), "message says nothing: " + message);
    }
}
