package llm4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.quant.WeightTensor;
import llm4j.quant.WeightTensors;

/** Random N(0, 0.02) weights encoded by the format's reference quantizer, and N(0, 1) activations. */
final class Weights {

    private Weights() {
    }

    /**
     * Sets {@code -Dllm4j.vector.bits} before anything reads it: JMH runs every parameter set in a fresh
     * JVM, so a {@code bits} parameter chooses the width the kernels are compiled for.
     */
    static void useBits(String bits) {
        if (!bits.isEmpty()) {
            System.setProperty("llm4j.vector.bits", bits);
        }
    }

    static WeightTensor random(GgmlType type, int rows, int cols, long seed) {
        QuantFormat format = QuantFormats.of(type);
        long rowBytes = type.bytesFor(cols);
        MemorySegment data = Arena.ofAuto().allocate(rowBytes * rows, 64);
        Random rnd = new Random(seed);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            format.quantize(row, 0, cols, data, r * rowBytes);
        }
        return WeightTensors.wrap(type, data, rows, cols);
    }

    static float[] activations(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
