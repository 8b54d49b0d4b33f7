package llm4j.quant.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/** Splitting packed 4-bit codes in byte lanes. */
final class Nibbles {

    private Nibbles() {
    }

    static ByteVector low(ByteVector packed) {
        return packed.and((byte) 0x0F);
    }

    /**
     * x86 has no byte shift, so the shift is done in int lanes (bits crossing into the byte below
     * are masked off): one instruction instead of a widen-shift-narrow sequence.
     */
    static ByteVector high(ByteVector packed) {
        return packed.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }
}
