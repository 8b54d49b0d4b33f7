package llm4j.model;

/** How rotary embeddings pair up the dimensions of a head. */
public enum RopeStyle {
    /** llama.cpp's default: dimensions 2i and 2i+1 rotate together (GGUF llama files are permuted for it). */
    ADJACENT,
    /** GPT-NeoX / Hugging Face rotate-half: dimension i rotates with i + rotDim/2 (qwen2, HF checkpoints). */
    NEOX
}
