package llm4j.model.kv;

import llm4j.model.ModelConfig;

/** The shape of what a cache stores per position: {@code layers} × ({@code kvHeads} × {@code headDim}) for K and for V. */
public record KvGeometry(int layers, int kvHeads, int headDim) {

    public KvGeometry {
        if (layers < 1 || kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("bad KV geometry " + layers + "x" + kvHeads + "x" + headDim);
        }
    }

    public static KvGeometry of(ModelConfig c) {
        return new KvGeometry(c.layers(), c.kvHeads(), c.headDim());
    }

    /** Floats in one position's K (or V) row of one layer. */
    public int kvDim() {
        return kvHeads * headDim;
    }
}
