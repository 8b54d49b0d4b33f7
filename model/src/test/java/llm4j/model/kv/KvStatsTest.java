package llm4j.model.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The --verbose lines: one per run of layers with the same positions per rung. */
class KvStatsTest {

    private static KvStats withLayers(int[][] perRung) {
        return new KvStats(1000, 0, 1000, 3, 3, List.of("f16", "q8_0"), Map.of("f16", 640L), perRung, 0, 0, 0, 0, 0, 0,
                false, false);
    }

    private static List<String> layerLines(KvStats s) {
        return s.lines().stream().filter(l -> l.startsWith("kv: layer")).toList();
    }

    @Test
    void identicalConsecutiveLayersShareALine() {
        assertEquals(List.of("kv: layers 0-29 positions f16=67 q8_0=0"),
                layerLines(withLayers(java.util.stream.IntStream.range(0, 30).mapToObj(l -> new int[] {67, 0}).toArray(int[][]::new))));
        assertEquals(List.of("kv: layers 0-1 positions f16=3 q8_0=0", "kv: layer 2 positions f16=2 q8_0=1",
                        "kv: layer 3 positions f16=3 q8_0=0"),
                layerLines(withLayers(new int[][] {{3, 0}, {3, 0}, {2, 1}, {3, 0}})));
    }
}
