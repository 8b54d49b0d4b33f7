package llm4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Example;
import net.jqwik.api.Tag;

/** Documents which width a run used: the 128/256-bit surefire executions must really get it. */
class VectorWidthTest {

    @Example
    @Tag("vector-kernel")
    void requestedWidthIsTheOneInUse() {
        String requested = System.getProperty("llm4j.vector.bits", "");
        if (!requested.isEmpty()) {
            assertEquals(Integer.parseInt(requested), Vectors.bits());
        }
        System.out.println("vector kernels ran with " + Vectors.bits() + "-bit species");
    }
}
