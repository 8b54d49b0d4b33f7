package llm4j.quant.format;

import java.lang.foreign.MemorySegment;

import llm4j.quant.ActivationLayout;
import llm4j.quant.QuantFormat;

/** Calls a format's one-row vector kernel the way PackedTensor does: on x arranged in the kernel's layout, if it has one. */
final class ArrangedDot {

    private ArrangedDot() {
    }

    /**
     * The vector kernel on {@code x[xOffset ..]}; the arranged floats are placed at {@code xOffset} of an array
     * exactly as long as the kernel may read, so a kernel reading past its layout fails the test.
     */
    static float vectorDot(QuantFormat format, MemorySegment w, long offset, float[] x, int xOffset, int n) {
        ActivationLayout layout = format.vectorLayout();
        if (layout == null) {
            return format.vectorKernel().dot(w, offset, x, xOffset, n);
        }
        float[] arranged = new float[layout.length(n)];
        layout.arrange(x, xOffset, n, arranged);
        float[] placed = new float[xOffset + arranged.length];
        System.arraycopy(arranged, 0, placed, xOffset, arranged.length);
        return format.vectorKernel().dot(w, offset, placed, xOffset, n);
    }
}
