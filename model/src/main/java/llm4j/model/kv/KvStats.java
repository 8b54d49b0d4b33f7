package llm4j.model.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the cache holds and what it has done to stay under its cap.
 *
 * @param bytesUsed            accounted bytes now: data, scales and bookkeeping
 * @param capBytes             the cap, 0 when none
 * @param peakBytes            the most ever accounted, transients of requantization included
 * @param positionsHeld        positions stored (evicted ones excluded)
 * @param nextPosition         the position the next token gets
 * @param rungs                ladder rung names, top (configured types) first: "q8_0", or "k q8_0 / v f16"
 * @param bytesPerToken        per type: bytes one position costs with K and V of every layer at that type
 * @param positionsPerRung     [layer][rung]: positions of that layer stored at that rung
 * @param requantizations      (page, layer) pairs moved one rung down
 * @param requantizedPositions positions × layers moved one rung down
 * @param evictions            pages evicted
 * @param evictedPositions     positions evicted
 * @param shifts               context shifts
 * @param discardedPositions   positions dropped by context shifts
 * @param keysRotated          whether keys are Hadamard-rotated
 * @param keysSmoothed         whether key channels are smoothed
 */
public record KvStats(long bytesUsed, long capBytes, long peakBytes, int positionsHeld, int nextPosition,
                      List<String> rungs, Map<String, Long> bytesPerToken, int[][] positionsPerRung,
                      long requantizations, long requantizedPositions, long evictions, long evictedPositions,
                      long shifts, long discardedPositions, boolean keysRotated,
                      boolean keysSmoothed) {

    /** The lines {@code --verbose} prints. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "kv: %s used%s, peak %s, %d positions held, next position %d%s",
                size(bytesUsed), capBytes > 0 ? " of " + size(capBytes) + " cap" : "", size(peakBytes),
                positionsHeld, nextPosition, (keysRotated ? ", keys Hadamard-rotated" : "") + (keysSmoothed ? ", key channels smoothed" : "")));
        StringBuilder perType = new StringBuilder("kv: bytes/token");
        bytesPerToken.forEach((type, bytes) -> perType.append(' ').append(type).append('=').append(bytes));
        out.add(perType.toString());
        // consecutive layers with the same counts share a line: "kv: layers 0-29 positions f16=67"
        for (int first = 0; first < positionsPerRung.length; ) {
            int last = first;
            while (last + 1 < positionsPerRung.length && Arrays.equals(positionsPerRung[last + 1], positionsPerRung[first])) {
                last++;
            }
            StringBuilder line = new StringBuilder(first == last ? "kv: layer " + first : "kv: layers " + first + "-" + last)
                    .append(" positions");
            for (int r = 0; r < rungs.size(); r++) {
                line.append(' ').append(rungs.get(r)).append('=').append(positionsPerRung[first][r]);
            }
            out.add(line.toString());
            first = last + 1;
        }
        out.add(String.format(Locale.ROOT, "kv: requantizations %d (%d layer-positions), evictions %d (%d positions), shifts %d (%d positions)",
                requantizations, requantizedPositions, evictions, evictedPositions, shifts, discardedPositions));
        return out;
    }

    /** Positions at rung {@code r} summed over layers. */
    public long positionsAtRung(int r) {
        long sum = 0;
        for (int[] layer : positionsPerRung) {
            sum += layer[r];
        }
        return sum;
    }

    static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }
}
