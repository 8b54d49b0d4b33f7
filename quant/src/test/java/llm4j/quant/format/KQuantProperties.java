package llm4j.quant.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import llm4j.quant.GgmlType;
import llm4j.quant.QuantFormat;
import llm4j.quant.QuantFormats;
import llm4j.quant.Vectors;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties every K-quant format must have; one subclass per type says where its fp16 fields are
 * and how much error its reference quantizer may make. The Vector API width is whatever
 * {@code -Dllm4j.vector.bits} chose (the quant pom runs these classes at 128 and at 256 bits).
 */
abstract class KQuantProperties {

    /** The type under test. */
    abstract GgmlType type();

    /**
     * Offsets of the block's fp16 fields: the scale d first, then dmin if the format has one.
     * Random test blocks get finite values there.
     */
    abstract int[] halfOffsets();

    /**
     * Largest RMS error of one quantized super-block of Gaussian data, relative to its RMS. Set
     * about 1.5× above the worst seen over ~13,000 blocks (the quantizer is ggml's, byte for byte,
     * so this guards against packing mistakes, not against its accuracy).
     */
    abstract double rmsErrorBound();

    /** Largest error of one value relative to the super-block's largest magnitude (same margin). */
    abstract double maxErrorBound();

    final QuantFormat format() {
        return QuantFormats.of(type());
    }

    /** {@code blocks} super-blocks of random bytes with random finite fp16 scales, at {@code offset}. */
    final MemorySegment randomBlocks(Arena arena, Random rnd, int blocks, long offset) {
        int size = type().blockBytes();
        MemorySegment seg = arena.allocate(offset + (long) blocks * size);
        byte[] bytes = new byte[blocks * size];
        rnd.nextBytes(bytes);
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, offset, bytes.length);
        for (int b = 0; b < blocks; b++) {
            for (int field : halfOffsets()) {
                KQuants.putHalf(seg, offset + (long) b * size + field, (float) (rnd.nextGaussian() * 0.05));
            }
        }
        return seg;
    }

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return x;
    }

    /** Prefill decodes weights into panels with {@code vectorDequantize}: it must give the scalar decoder's bits. */
    @Property(tries = 100)
    void vectorDecodeIsTheScalarDecodeBitForBit(@ForAll @IntRange(min = 1, max = 6) int blocks,
                                                @ForAll @IntRange(min = 0, max = 63) int byteOffset,
                                                @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = randomBlocks(arena, rnd, blocks, byteOffset);
            float[] scalar = new float[n + 5];
            float[] vector = new float[n + 5];
            format().dequantize(seg, byteOffset, scalar, 5, n);
            format().vectorDequantize(seg, byteOffset, vector, 5, n);
            for (int i = 0; i < n + 5; i++) {
                assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]), "element " + (i - 5) + " of " + n);
            }
        }
    }

    private float vectorDot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        return ArrangedDot.vectorDot(format(), w, offset, x, xOffset, n);
    }

    @Property(tries = 200)
    void vectorKernelMatchesScalarOracle(@ForAll @IntRange(min = 1, max = 8) int blocks,
                                         @ForAll @IntRange(min = 0, max = 63) int byteOffset,
                                         @ForAll @IntRange(min = 0, max = 37) int xOffset,
                                         @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, rnd, blocks, byteOffset);
            // exactly as long as the kernels may read, so an over-read throws
            float[] x = gaussian(rnd, xOffset + n, 1.0);
            float scalar = format().scalarKernel().dot(w, byteOffset, x, xOffset, n);
            float vector = vectorDot(w, byteOffset, x, xOffset, n);
            // The vector kernel sums d·scale·Σq·x and dmin·min·Σx separately, so its rounding
            // scales with both parts: Σ|w·x| plus Σ|min part·x| (the weights with d zeroed).
            float[] weights = new float[n];
            format().dequantize(w, byteOffset, weights, 0, n);
            MemorySegment minOnly = arena.allocate(w.byteSize());
            minOnly.copyFrom(w);
            for (int b = 0; b < blocks; b++) {
                KQuants.putHalf(minOnly, byteOffset + (long) b * type().blockBytes() + halfOffsets()[0], 0f);
            }
            float[] minParts = new float[n];
            format().dequantize(minOnly, byteOffset, minParts, 0, n);
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                magnitude += (Math.abs(weights[i]) + Math.abs(minParts[i])) * Math.abs(x[xOffset + i]);
            }
            assertEquals(scalar, vector, 2e-6 * magnitude + Float.MIN_NORMAL,
                    type() + " at " + Vectors.bits() + " bits, n=" + n);
        }
    }

    @Property(tries = 20)
    void dequantizeAgreesWithTheOraclesPerValueDecoding(@ForAll long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, rnd, 1, 3);
            float[] values = new float[256 + 5];
            format().dequantize(w, 3, values, 5, 256);
            float[] oneHot = new float[256];
            for (int e = 0; e < 256; e++) {
                oneHot[e] = 1f;
                // a one-term sum is exact, so the oracle returns its decoded weight
                // (delta 0 rather than bit equality: a −0 weight sums to +0)
                assertEquals(values[5 + e], format().scalarKernel().dot(w, 3, oneHot, 0, 256), 0f, type() + " value " + e);
                oneHot[e] = 0f;
            }
        }
    }

    @Property(tries = 100)
    void anyBytesWithFiniteScalesDecodeToFiniteValues(@ForAll @IntRange(min = 1, max = 4) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, rnd, blocks, 0);
            float[] values = new float[blocks * 256];
            format().dequantize(w, 0, values, 0, values.length);
            for (int i = 0; i < values.length; i++) {
                assertTrue(Float.isFinite(values[i]), type() + " value " + i + " = " + values[i]);
            }
            float[] ones = new float[values.length];
            java.util.Arrays.fill(ones, 1f);
            assertTrue(Float.isFinite(vectorDot(w, 0, ones, 0, ones.length)));
        }
    }

    /*
     * Data from 0.01 to 1000: much smaller values push the fp16 super-block scale d into fp16's
     * subnormal range (d is about max/(63·15) for Q4_K), where ggml's format itself loses precision.
     */
    @Property(tries = 100)
    void quantizeThenDequantizeStaysClose(@ForAll @IntRange(min = 1, max = 8) int blocks,
                                          @ForAll @IntRange(min = -2, max = 3) int log10Scale,
                                          @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 256;
        float[] x = gaussian(rnd, n + 7, Math.pow(10, log10Scale));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packed = arena.allocate(type().bytesFor(n) + 11);
            format().quantize(x, 7, n, packed, 11);
            float[] y = new float[n];
            format().dequantize(packed, 11, y, 0, n);
            for (int b = 0; b < blocks; b++) {
                double err2 = 0;
                double ref2 = 0;
                double maxErr = 0;
                double maxAbs = 0;
                for (int i = 256 * b; i < 256 * (b + 1); i++) {
                    double e = (double) x[7 + i] - y[i];
                    err2 += e * e;
                    ref2 += (double) x[7 + i] * x[7 + i];
                    maxErr = Math.max(maxErr, Math.abs(e));
                    maxAbs = Math.max(maxAbs, Math.abs(x[7 + i]));
                }
                double rel = Math.sqrt(err2 / ref2);
                assertTrue(rel <= rmsErrorBound(), type() + " block " + b + " relative RMS error " + rel);
                assertTrue(maxErr <= maxErrorBound() * maxAbs, type() + " block " + b + " max error " + maxErr / maxAbs);
            }
        }
    }

    @Example
    void zerosQuantizeToZeros() {
        float[] x = new float[512];
        // the second super-block is zero only in its first half: its zero sub-blocks must stay zero
        for (int i = 384; i < 512; i++) {
            x[i] = (float) Math.sin(i);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packed = arena.allocate(type().bytesFor(512));
            format().quantize(x, 0, 512, packed, 0);
            float[] y = new float[512];
            format().dequantize(packed, 0, y, 0, 512);
            for (int i = 0; i < 384; i++) {
                assertEquals(0f, Math.abs(y[i]), type() + " value " + i);
            }
        }
    }
}
