package llm4j.quant;

import static llm4j.quant.TiledMatMul.PANEL_ROWS;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decoded weight rows into {@link TiledMatMul}'s column-major panel: an L × L block of rows at a time, transposed in
 * registers with two-vector permutes (log2 L steps, one permute per row and step).
 */
final class PanelTranspose {

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Row vectors per panel ({@link TiledMatMul#PANEL_ROWS} / L). */
    private static final int ROW_VECTORS = PANEL_ROWS / L;

    /**
     * Two-vector permutes of a block transpose ({@link #transpose}): at step s, rows a and a + s swap their
     * off-diagonal s-lane blocks. SWAP_LOW_s gives row a (its lanes with bit s clear, then row a + s's lanes moved
     * up by s), SWAP_HIGH_s row a + s. Index i picks lane i of the first vector, L + i lane i of the second.
     */
    private static final VectorSpecies<Integer> I = Vectors.sameWidth(int.class);
    private static final IntVector SWAP_LOW_8 = swapIndexes(8, false);
    private static final IntVector SWAP_HIGH_8 = swapIndexes(8, true);
    private static final IntVector SWAP_LOW_4 = swapIndexes(4, false);
    private static final IntVector SWAP_HIGH_4 = swapIndexes(4, true);
    private static final IntVector SWAP_LOW_2 = swapIndexes(2, false);
    private static final IntVector SWAP_HIGH_2 = swapIndexes(2, true);
    private static final IntVector SWAP_LOW_1 = swapIndexes(1, false);
    private static final IntVector SWAP_HIGH_1 = swapIndexes(1, true);

    private static IntVector swapIndexes(int s, boolean high) {
        int[] index = new int[L];
        for (int lane = 0; lane < L; lane++) {
            boolean clear = (lane & s) == 0;
            index[lane] = high ? (clear ? lane + s : L + lane) : (clear ? lane : L + lane - s);
            index[lane] &= 2 * L - 1; // steps wider than the vector are never run; keep their indexes in range
        }
        return IntVector.fromArray(I, index, 0);
    }

    private PanelTranspose() {
    }

    /**
     * The panel's column-major layout from {@link TiledMatMul#PANEL_ROWS} decoded rows (row-major in {@code decoded}),
     * an L × L block at a time in registers (16 and 8 lanes; 4 lanes and a last partial block one value at a time).
     * One scalar store per value with stride {@code PANEL_ROWS} took longer than the decoding: 2.9 of the 3.4 ms a
     * 2048 × 2048 Q4_K pass spent at one token (0.5 ms decoding); this takes it to 1.9 ms. Gathers were slower still
     * (4.4 ms) and a column-by-column copy far slower (12 ms: rows 8 kB apart alias in L1).
     */
    static void transpose(float[] decoded, int cols, float[] panel) {
        int k = 0;
        if (L >= 8) {
            for (int bound = cols - cols % L; k < bound; k += L) {
                for (int v = 0; v < ROW_VECTORS; v++) {
                    if (L == 16) {
                        block16(decoded, v * L * cols, cols, k, panel, k * PANEL_ROWS + v * L);
                    } else {
                        block8(decoded, v * L * cols, cols, k, panel, k * PANEL_ROWS + v * L);
                    }
                }
            }
        }
        for (; k < cols; k++) {
            for (int i = 0, q = k, p = k * PANEL_ROWS; i < PANEL_ROWS; i++, q += cols, p++) {
                panel[p] = decoded[q];
            }
        }
    }

    /** Rows {@code row0 ..} ({@code cols} apart) at columns {@code k ..}: 16 loads, 64 two-vector permutes, 16 stores. */
    private static void block16(float[] decoded, int row0, int cols, int k, float[] panel, int p) {
        IntVector r0 = FloatVector.fromArray(F, decoded, row0 + 0 * cols + k).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(F, decoded, row0 + 1 * cols + k).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(F, decoded, row0 + 2 * cols + k).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(F, decoded, row0 + 3 * cols + k).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(F, decoded, row0 + 4 * cols + k).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(F, decoded, row0 + 5 * cols + k).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(F, decoded, row0 + 6 * cols + k).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(F, decoded, row0 + 7 * cols + k).reinterpretAsInts();
        IntVector r8 = FloatVector.fromArray(F, decoded, row0 + 8 * cols + k).reinterpretAsInts();
        IntVector r9 = FloatVector.fromArray(F, decoded, row0 + 9 * cols + k).reinterpretAsInts();
        IntVector r10 = FloatVector.fromArray(F, decoded, row0 + 10 * cols + k).reinterpretAsInts();
        IntVector r11 = FloatVector.fromArray(F, decoded, row0 + 11 * cols + k).reinterpretAsInts();
        IntVector r12 = FloatVector.fromArray(F, decoded, row0 + 12 * cols + k).reinterpretAsInts();
        IntVector r13 = FloatVector.fromArray(F, decoded, row0 + 13 * cols + k).reinterpretAsInts();
        IntVector r14 = FloatVector.fromArray(F, decoded, row0 + 14 * cols + k).reinterpretAsInts();
        IntVector r15 = FloatVector.fromArray(F, decoded, row0 + 15 * cols + k).reinterpretAsInts();
        IntVector a0x8 = SWAP_LOW_8.selectFrom(r0, r8);
        r8 = SWAP_HIGH_8.selectFrom(r0, r8);
        r0 = a0x8;
        IntVector a1x8 = SWAP_LOW_8.selectFrom(r1, r9);
        r9 = SWAP_HIGH_8.selectFrom(r1, r9);
        r1 = a1x8;
        IntVector a2x8 = SWAP_LOW_8.selectFrom(r2, r10);
        r10 = SWAP_HIGH_8.selectFrom(r2, r10);
        r2 = a2x8;
        IntVector a3x8 = SWAP_LOW_8.selectFrom(r3, r11);
        r11 = SWAP_HIGH_8.selectFrom(r3, r11);
        r3 = a3x8;
        IntVector a4x8 = SWAP_LOW_8.selectFrom(r4, r12);
        r12 = SWAP_HIGH_8.selectFrom(r4, r12);
        r4 = a4x8;
        IntVector a5x8 = SWAP_LOW_8.selectFrom(r5, r13);
        r13 = SWAP_HIGH_8.selectFrom(r5, r13);
        r5 = a5x8;
        IntVector a6x8 = SWAP_LOW_8.selectFrom(r6, r14);
        r14 = SWAP_HIGH_8.selectFrom(r6, r14);
        r6 = a6x8;
        IntVector a7x8 = SWAP_LOW_8.selectFrom(r7, r15);
        r15 = SWAP_HIGH_8.selectFrom(r7, r15);
        r7 = a7x8;
        IntVector a0x4 = SWAP_LOW_4.selectFrom(r0, r4);
        r4 = SWAP_HIGH_4.selectFrom(r0, r4);
        r0 = a0x4;
        IntVector a1x4 = SWAP_LOW_4.selectFrom(r1, r5);
        r5 = SWAP_HIGH_4.selectFrom(r1, r5);
        r1 = a1x4;
        IntVector a2x4 = SWAP_LOW_4.selectFrom(r2, r6);
        r6 = SWAP_HIGH_4.selectFrom(r2, r6);
        r2 = a2x4;
        IntVector a3x4 = SWAP_LOW_4.selectFrom(r3, r7);
        r7 = SWAP_HIGH_4.selectFrom(r3, r7);
        r3 = a3x4;
        IntVector a8x4 = SWAP_LOW_4.selectFrom(r8, r12);
        r12 = SWAP_HIGH_4.selectFrom(r8, r12);
        r8 = a8x4;
        IntVector a9x4 = SWAP_LOW_4.selectFrom(r9, r13);
        r13 = SWAP_HIGH_4.selectFrom(r9, r13);
        r9 = a9x4;
        IntVector a10x4 = SWAP_LOW_4.selectFrom(r10, r14);
        r14 = SWAP_HIGH_4.selectFrom(r10, r14);
        r10 = a10x4;
        IntVector a11x4 = SWAP_LOW_4.selectFrom(r11, r15);
        r15 = SWAP_HIGH_4.selectFrom(r11, r15);
        r11 = a11x4;
        IntVector a0x2 = SWAP_LOW_2.selectFrom(r0, r2);
        r2 = SWAP_HIGH_2.selectFrom(r0, r2);
        r0 = a0x2;
        IntVector a1x2 = SWAP_LOW_2.selectFrom(r1, r3);
        r3 = SWAP_HIGH_2.selectFrom(r1, r3);
        r1 = a1x2;
        IntVector a4x2 = SWAP_LOW_2.selectFrom(r4, r6);
        r6 = SWAP_HIGH_2.selectFrom(r4, r6);
        r4 = a4x2;
        IntVector a5x2 = SWAP_LOW_2.selectFrom(r5, r7);
        r7 = SWAP_HIGH_2.selectFrom(r5, r7);
        r5 = a5x2;
        IntVector a8x2 = SWAP_LOW_2.selectFrom(r8, r10);
        r10 = SWAP_HIGH_2.selectFrom(r8, r10);
        r8 = a8x2;
        IntVector a9x2 = SWAP_LOW_2.selectFrom(r9, r11);
        r11 = SWAP_HIGH_2.selectFrom(r9, r11);
        r9 = a9x2;
        IntVector a12x2 = SWAP_LOW_2.selectFrom(r12, r14);
        r14 = SWAP_HIGH_2.selectFrom(r12, r14);
        r12 = a12x2;
        IntVector a13x2 = SWAP_LOW_2.selectFrom(r13, r15);
        r15 = SWAP_HIGH_2.selectFrom(r13, r15);
        r13 = a13x2;
        IntVector a0x1 = SWAP_LOW_1.selectFrom(r0, r1);
        r1 = SWAP_HIGH_1.selectFrom(r0, r1);
        r0 = a0x1;
        IntVector a2x1 = SWAP_LOW_1.selectFrom(r2, r3);
        r3 = SWAP_HIGH_1.selectFrom(r2, r3);
        r2 = a2x1;
        IntVector a4x1 = SWAP_LOW_1.selectFrom(r4, r5);
        r5 = SWAP_HIGH_1.selectFrom(r4, r5);
        r4 = a4x1;
        IntVector a6x1 = SWAP_LOW_1.selectFrom(r6, r7);
        r7 = SWAP_HIGH_1.selectFrom(r6, r7);
        r6 = a6x1;
        IntVector a8x1 = SWAP_LOW_1.selectFrom(r8, r9);
        r9 = SWAP_HIGH_1.selectFrom(r8, r9);
        r8 = a8x1;
        IntVector a10x1 = SWAP_LOW_1.selectFrom(r10, r11);
        r11 = SWAP_HIGH_1.selectFrom(r10, r11);
        r10 = a10x1;
        IntVector a12x1 = SWAP_LOW_1.selectFrom(r12, r13);
        r13 = SWAP_HIGH_1.selectFrom(r12, r13);
        r12 = a12x1;
        IntVector a14x1 = SWAP_LOW_1.selectFrom(r14, r15);
        r15 = SWAP_HIGH_1.selectFrom(r14, r15);
        r14 = a14x1;
        r0.reinterpretAsFloats().intoArray(panel, p + 0 * PANEL_ROWS);
        r1.reinterpretAsFloats().intoArray(panel, p + 1 * PANEL_ROWS);
        r2.reinterpretAsFloats().intoArray(panel, p + 2 * PANEL_ROWS);
        r3.reinterpretAsFloats().intoArray(panel, p + 3 * PANEL_ROWS);
        r4.reinterpretAsFloats().intoArray(panel, p + 4 * PANEL_ROWS);
        r5.reinterpretAsFloats().intoArray(panel, p + 5 * PANEL_ROWS);
        r6.reinterpretAsFloats().intoArray(panel, p + 6 * PANEL_ROWS);
        r7.reinterpretAsFloats().intoArray(panel, p + 7 * PANEL_ROWS);
        r8.reinterpretAsFloats().intoArray(panel, p + 8 * PANEL_ROWS);
        r9.reinterpretAsFloats().intoArray(panel, p + 9 * PANEL_ROWS);
        r10.reinterpretAsFloats().intoArray(panel, p + 10 * PANEL_ROWS);
        r11.reinterpretAsFloats().intoArray(panel, p + 11 * PANEL_ROWS);
        r12.reinterpretAsFloats().intoArray(panel, p + 12 * PANEL_ROWS);
        r13.reinterpretAsFloats().intoArray(panel, p + 13 * PANEL_ROWS);
        r14.reinterpretAsFloats().intoArray(panel, p + 14 * PANEL_ROWS);
        r15.reinterpretAsFloats().intoArray(panel, p + 15 * PANEL_ROWS);
    }

    /** Rows {@code row0 ..} ({@code cols} apart) at columns {@code k ..}: 8 loads, 24 two-vector permutes, 8 stores. */
    private static void block8(float[] decoded, int row0, int cols, int k, float[] panel, int p) {
        IntVector r0 = FloatVector.fromArray(F, decoded, row0 + 0 * cols + k).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(F, decoded, row0 + 1 * cols + k).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(F, decoded, row0 + 2 * cols + k).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(F, decoded, row0 + 3 * cols + k).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(F, decoded, row0 + 4 * cols + k).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(F, decoded, row0 + 5 * cols + k).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(F, decoded, row0 + 6 * cols + k).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(F, decoded, row0 + 7 * cols + k).reinterpretAsInts();
        IntVector a0x4 = SWAP_LOW_4.selectFrom(r0, r4);
        r4 = SWAP_HIGH_4.selectFrom(r0, r4);
        r0 = a0x4;
        IntVector a1x4 = SWAP_LOW_4.selectFrom(r1, r5);
        r5 = SWAP_HIGH_4.selectFrom(r1, r5);
        r1 = a1x4;
        IntVector a2x4 = SWAP_LOW_4.selectFrom(r2, r6);
        r6 = SWAP_HIGH_4.selectFrom(r2, r6);
        r2 = a2x4;
        IntVector a3x4 = SWAP_LOW_4.selectFrom(r3, r7);
        r7 = SWAP_HIGH_4.selectFrom(r3, r7);
        r3 = a3x4;
        IntVector a0x2 = SWAP_LOW_2.selectFrom(r0, r2);
        r2 = SWAP_HIGH_2.selectFrom(r0, r2);
        r0 = a0x2;
        IntVector a1x2 = SWAP_LOW_2.selectFrom(r1, r3);
        r3 = SWAP_HIGH_2.selectFrom(r1, r3);
        r1 = a1x2;
        IntVector a4x2 = SWAP_LOW_2.selectFrom(r4, r6);
        r6 = SWAP_HIGH_2.selectFrom(r4, r6);
        r4 = a4x2;
        IntVector a5x2 = SWAP_LOW_2.selectFrom(r5, r7);
        r7 = SWAP_HIGH_2.selectFrom(r5, r7);
        r5 = a5x2;
        IntVector a0x1 = SWAP_LOW_1.selectFrom(r0, r1);
        r1 = SWAP_HIGH_1.selectFrom(r0, r1);
        r0 = a0x1;
        IntVector a2x1 = SWAP_LOW_1.selectFrom(r2, r3);
        r3 = SWAP_HIGH_1.selectFrom(r2, r3);
        r2 = a2x1;
        IntVector a4x1 = SWAP_LOW_1.selectFrom(r4, r5);
        r5 = SWAP_HIGH_1.selectFrom(r4, r5);
        r4 = a4x1;
        IntVector a6x1 = SWAP_LOW_1.selectFrom(r6, r7);
        r7 = SWAP_HIGH_1.selectFrom(r6, r7);
        r6 = a6x1;
        r0.reinterpretAsFloats().intoArray(panel, p + 0 * PANEL_ROWS);
        r1.reinterpretAsFloats().intoArray(panel, p + 1 * PANEL_ROWS);
        r2.reinterpretAsFloats().intoArray(panel, p + 2 * PANEL_ROWS);
        r3.reinterpretAsFloats().intoArray(panel, p + 3 * PANEL_ROWS);
        r4.reinterpretAsFloats().intoArray(panel, p + 4 * PANEL_ROWS);
        r5.reinterpretAsFloats().intoArray(panel, p + 5 * PANEL_ROWS);
        r6.reinterpretAsFloats().intoArray(panel, p + 6 * PANEL_ROWS);
        r7.reinterpretAsFloats().intoArray(panel, p + 7 * PANEL_ROWS);
    }
}
