package llm4j.model.kv;

/** The cache cannot hold the positions asked for within its memory cap (overflow policy {@code error}, or nothing left to drop). */
public final class KvCapacityException extends RuntimeException {

    private final long neededBytes;
    private final long capBytes;

    public KvCapacityException(String message, long neededBytes, long capBytes) {
        super(message);
        this.neededBytes = neededBytes;
        this.capBytes = capBytes;
    }

    public long neededBytes() {
        return neededBytes;
    }

    public long capBytes() {
        return capBytes;
    }
}
