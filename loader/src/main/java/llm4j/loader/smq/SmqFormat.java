package llm4j.loader.smq;

import java.nio.charset.StandardCharsets;

/** Fixed numbers of the SMQ v1 layout (SmallMind's SmqFormat), shared by the reader and the writer. */
final class SmqFormat {

    static final byte[] MAGIC = "SMQv0001".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_SIZE = 32;
    static final int ENTRY_SIZE = 156;
    static final int NAME_BYTES = 64;
    static final int MAX_RANK = 8;

    // field offsets inside a directory entry
    static final int SCHEME = 64;
    static final int RANK = 68;
    static final int DIMS = 72;
    static final int BLOCK_SIZE = 104;
    static final int DATA_OFFSET = 108;
    static final int DATA_LENGTH = 116;
    static final int AUX_OFFSET = 124;
    static final int AUX_LENGTH = 132;

    /** Metadata key whose value "GGUF" marks SmallMind's GGUF import, which stores dims in ggml order. */
    static final String CONVERTED_FROM = "converted_from";

    private SmqFormat() {
    }
}
