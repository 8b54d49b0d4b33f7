package llm4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * Two weight rows times one activation vector in one pass: each block of {@code x} is loaded once for both
 * rows, and the loop set-up and final lane sums are paid per pair. On SmolLM2's 576-wide rows (18 blocks of
 * 32) that per-row overhead was a third of a Q4_0 row's time. The rows should be far apart (matVec pairs the
 * first half of its range with the second): two adjacent rows read as two interleaved streams within the
 * same pages, which the hardware prefetchers follow badly, and Q8_0 from DRAM fell to 0.6x of one row at a
 * time, against 1.4x for distant rows (docs/performance.md, "Rows in pairs"). Each output must be bit for
 * bit what the format's {@link RowKernel} returns for that row, so a result does not depend on how a
 * matrix's rows were paired or split between threads.
 */
@FunctionalInterface
public interface PairKernel {

    /**
     * {@code out[out0] = row(offset0) · x} and {@code out[out1] = row(offset1) · x}.
     *
     * @param offset0 byte offset of the first row's first block in {@code w}
     * @param offset1 byte offset of the second row's first block
     * @param n       elements per row; a multiple of the format's block size
     */
    void dot2(MemorySegment w, long offset0, long offset1, float[] x, int n, float[] out, int out0, int out1);
}
