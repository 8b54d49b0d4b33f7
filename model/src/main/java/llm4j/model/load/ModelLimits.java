package llm4j.model.load;

/**
 * Upper bounds on the hyper-parameters a model file may declare. Each is far above any published
 * model (the largest known value is in brackets) and low enough that the products the runtime
 * forms from them (query width, KV width, buffer sizes) stay exact in int and long arithmetic.
 * A file beyond them is refused before anything is sized from it.
 */
public final class ModelLimits {

    /** Model width [16384]. */
    public static final int MAX_EMBEDDING = 1 << 17;
    /** Feed-forward width [53248]. */
    public static final int MAX_FEED_FORWARD = 1 << 20;
    /** Transformer blocks [126]. */
    public static final int MAX_LAYERS = 1 << 12;
    /** Attention heads [128]. */
    public static final int MAX_HEADS = 1 << 12;
    /** Width of one head [256]. */
    public static final int MAX_HEAD_DIM = 1 << 12;
    /** Vocabulary [262144]. */
    public static final int MAX_VOCAB = 1 << 22;
    /** Trained context in tokens [10M]. */
    public static final int MAX_CONTEXT = 1 << 24;
    /** Linear rope scaling factors outside this range push positions to zero or infinity [up to 64]. */
    public static final float MIN_ROPE_FACTOR = 0x1p-10f;
    public static final float MAX_ROPE_FACTOR = 0x1p20f;

    private ModelLimits() {
    }
}
