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
     * x86 has no byte shift, so the shift is done in 16-bit lanes (bits crossing into the byte below
     * are masked off): one instruction instead of a widen-shift-narrow sequence. (Not int lanes: an
     * 8-byte vector would become a 2-lane int vector, which C2 does not support on x86.)
     */
    static ByteVector high(ByteVector packed) {
        return packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }
}
