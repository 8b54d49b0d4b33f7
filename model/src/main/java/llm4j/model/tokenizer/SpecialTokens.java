package llm4j.model.tokenizer;

import java.util.Set;

/**
 * The vocabulary's special token ids (-1 = absent), which of them end generation, and whether BOS/EOS are added
 * when encoding with {@code addSpecial}.
 */
public record SpecialTokens(int bos, int eos, int unknown, int padding, Set<Integer> endOfGeneration,
                            boolean addBos, boolean addEos) {

    public static final int NONE = -1;

    public SpecialTokens {
        endOfGeneration = Set.copyOf(endOfGeneration);
        if (addBos && bos == NONE) {
            throw new IllegalArgumentException("add_bos is set but the vocabulary has no BOS token");
        }
        if (addEos && eos == NONE) {
            throw new IllegalArgumentException("add_eos is set but the vocabulary has no EOS token");
        }
    }
}
