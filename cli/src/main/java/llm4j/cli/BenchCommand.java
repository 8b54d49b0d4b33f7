package llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import llm4j.model.Model;
import llm4j.model.bench.BenchModel;
import llm4j.model.bench.BenchResult;
import llm4j.model.bench.BenchRunner;
import llm4j.model.bench.BenchTest;
import llm4j.model.bench.MemoryBandwidth;
import llm4j.model.bench.SampleStats;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.KvSettings;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j bench}: llama-bench's measurement and table, plus memory bandwidth and the generation roofline. */
@Command(name = "bench", header = "Measure prompt processing and generation speed as llama-bench does.", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Measure prompt processing (pp) and generation (tg) speed as llama-bench does: random tokens, "
                + "forward passes only (no tokenizer, no sampler), --warmup untimed runs (3), then -r timed runs (mean ± sd of t/s). "
                + "Comma lists (-p 128,512 -t 1,2) give a row for every combination.",
            "Two columns llama-bench lacks: bw GB/s, the memory read bandwidth measured just before the row with its "
                + "threads, and roofline, t/s × weight bytes read per generated token ÷ bw (100%% = generation streams "
                + "the weights at the measured bandwidth)."},
        footer = {"", "Examples:",
            "  llm4j bench model.gguf                         # pp512 and tg128 on every core, 3 runs each",
            "  llm4j bench model.gguf -p 512 -n 128 -t 1,2    # four rows",
            "  llm4j bench model.gguf -n 128 --depth 0,2048 --kv-quant f16,q8_0 --json"})
final class BenchCommand implements Callable<Integer> {

    /** Bandwidth passes per row; the best one counts. */
    private static final int BANDWIDTH_PASSES = 5;
    private static final long SEED = 1234;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "GGUF or SMQ model file, or a Hugging Face folder.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N", defaultValue = "512",
            description = "Prompt tokens of the pp tests (a comma list; 0 skips them). Default: ${DEFAULT-VALUE}.")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", defaultValue = "128",
            description = "Generated tokens of the tg tests (a comma list; 0 skips them). Default: ${DEFAULT-VALUE}.")
    List<Integer> generations;

    @Option(names = {"-d", "--depth", "--n-depth"}, split = ",", paramLabel = "D", defaultValue = "0",
            description = "Positions of context filled (untimed) before each test (a comma list). Default: ${DEFAULT-VALUE}.")
    List<Integer> depths;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N",
            description = "Worker threads (a comma list). Default: every core.")
    List<Integer> threads;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "3", description = "Timed runs per test. Default: ${DEFAULT-VALUE}.")
    int repetitions;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3",
            description = "Untimed runs before each test's timed ones (llama-bench does 1; the JIT keeps compiling "
                    + "through the first two or three). Default: ${DEFAULT-VALUE}.")
    int warmups;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "512",
            description = "Prompt tokens per forward call (llama-bench's -ub). Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--bw-size", paramLabel = "SIZE", defaultValue = "256M",
            description = "Buffer the bandwidth is measured on (several times the L3); 0 skips the bw and roofline columns. Default: ${DEFAULT-VALUE}.")
    String bandwidthSize;

    @Option(names = "--json", description = "Print a JSON array of rows instead of the table.")
    boolean json;

    @Mixin
    KvOptions kvOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Integer> threadCounts = threads == null || threads.isEmpty() ? List.of(WorkerPool.defaultThreads()) : threads;
        checkFlags(threadCounts, err);
        long bandwidthBytes = bandwidthBytes();
        List<String> kvTypes = kvOptions.kvQuantList();
        for (String kv : kvTypes) {
            kvOptions.settings(kv); // an unknown type is a usage error before the model loads
        }
        Path path = ModelLocator.resolve(model);
        try (Model m = Model.load(path);
             MemoryBandwidth bandwidth = bandwidthBytes > 0 ? new MemoryBandwidth(bandwidthBytes) : null) {
            List<Row> plan = plan(threadCounts, kvTypes, m.config().contextLength());
            int maxPositions = plan.stream().mapToInt(r -> r.test.positions()).max().orElseThrow();
            int maxThreads = threadCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();
            m.requireMemoryFor(maxPositions, Math.min(batch, maxPositions), 1, maxThreads);
            BenchModel facts = BenchModel.of(m);
            List<String> kvLabels = plan.stream().map(r -> r.kvLabel).distinct().toList();
            BenchTable table = new BenchTable(out, facts, plan.stream().map(r -> r.test.name()).toList(), kvLabels,
                    kvTypes.size() > 1 || !kvLabels.equals(List.of("f16")));
            if (!json) {
                table.header();
            }
            BenchRunner runner = new BenchRunner(m, SEED);
            List<BenchResult> results = new ArrayList<>();
            WorkerPool pool = null;
            try {
                for (Row row : plan) {
                    if (pool == null || pool.threads() != row.threads) {
                        if (pool != null) {
                            pool.close();
                        }
                        pool = new WorkerPool(row.threads);
                    }
                    double bw = bandwidth == null ? Double.NaN : bandwidth.measure(pool, BANDWIDTH_PASSES);
                    PagedKvCache kv = kvOptions.newCache(m, row.test.positions(), row.test.positions(), row.kvType);
                    long[] nanos = runner.run(row.test, kv, pool, batch, warmups, repetitions);
                    BenchResult result = new BenchResult(row.test, row.threads, row.kvLabel, batch, nanos, bw, facts.bytesPerToken());
                    results.add(result);
                    if (!json) {
                        table.row(result);
                    }
                }
            } catch (KvCapacityException e) {
                throw CliException.failure(e.getMessage());
            } finally {
                if (pool != null) {
                    pool.close();
                }
            }
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(results.stream().map(r -> toJson(facts, r)).toList()));
            } else {
                out.println();
                out.printf(Locale.ROOT, "%s; weights read per generated token: %.2f MiB%s%n", new Version().getVersion()[0],
                        facts.bytesPerToken() / (double) (1 << 20),
                        bandwidth == null ? "" : String.format(Locale.ROOT, "; bw: best of %d passes over %d MiB",
                                BANDWIDTH_PASSES, bandwidth.bytes() >> 20));
            }
            out.flush();
        }
        return 0;
    }

    /** --bw-size in bytes; 0 turns the measurement off, anything else must hold at least one MiB. */
    private long bandwidthBytes() {
        if (bandwidthSize.trim().equals("0")) {
            return 0;
        }
        long bytes;
        try {
            bytes = KvOptions.parseSize(bandwidthSize);
        } catch (CliException e) {
            throw CliException.usage("--bw-size: '" + bandwidthSize + "' is not a size (e.g. 256M, 1G; 0 skips the measurement)");
        }
        if (bytes < (1L << 20)) {
            throw CliException.usage("--bw-size must be at least 1M (or 0 to skip the measurement), not " + bandwidthSize);
        }
        return bytes;
    }

    /** One row to measure: a test, the threads and the KV type it runs with. */
    private record Row(BenchTest test, int threads, String kvType, String kvLabel) {
    }

    private void checkFlags(List<Integer> threadCounts, PrintWriter err) {
        for (int p : prompts) {
            if (p < 0) {
                throw CliException.usage("-p must be 0 (no pp test) or more, not " + p);
            }
        }
        for (int n : generations) {
            if (n < 0) {
                throw CliException.usage("-n must be 0 (no tg test) or more, not " + n);
            }
        }
        for (int d : depths) {
            if (d < 0) {
                throw CliException.usage("--depth must not be negative, not " + d);
            }
        }
        if (prompts.stream().allMatch(p -> p == 0) && generations.stream().allMatch(n -> n == 0)) {
            throw CliException.usage("-p 0 and -n 0 leave nothing to measure");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        for (int t : new LinkedHashSet<>(threadCounts)) {
            if (t < 1) {
                throw CliException.usage("-t must be at least 1, not " + t);
            }
            if (t > cores) {
                err.println("llm4j: warning: -t " + t + " is more than the " + cores + " cores available; using " + t + " anyway");
            }
        }
        if (warmups < 0) {
            throw CliException.usage("--warmup must not be negative, not " + warmups);
        }
        if (repetitions < 1) {
            throw CliException.usage("-r must be at least 1, not " + repetitions);
        }
        if (batch < 1) {
            throw CliException.usage("-b must be at least 1, not " + batch);
        }
    }

    /**
     * Every combination, in llama-bench's order: threads, then KV type, then depth, and within those
     * the pp tests before the tg tests. A test whose depth and tokens exceed the model's context is a usage error.
     */
    private List<Row> plan(List<Integer> threadCounts, List<String> kvTypes, int context) {
        List<Row> rows = new ArrayList<>();
        for (int t : threadCounts) {
            for (String kv : kvTypes) {
                KvSettings s = kvOptions.settings(kv);
                String label = s.keyType().name().equals(s.valueType().name())
                        ? s.keyType().name() : s.keyType().name() + "/" + s.valueType().name();
                for (int d : depths) {
                    List<BenchTest> tests = new ArrayList<>();
                    prompts.stream().filter(p -> p > 0).forEach(p -> tests.add(BenchTest.prompt(p, d)));
                    generations.stream().filter(n -> n > 0).forEach(n -> tests.add(BenchTest.generation(n, d)));
                    for (BenchTest test : tests) {
                        if (test.positions() > context) {
                            throw CliException.usage(String.format(Locale.ROOT,
                                    "%s needs %d positions (depth %d + %d tokens), more than the model's context of %d",
                                    test.name(), test.positions(), d, test.tokens(), context));
                        }
                        rows.add(new Row(test, t, kv, label));
                    }
                }
            }
        }
        return rows;
    }

    /** One row as JSON: llama-bench's field names where it has the field, then bandwidth and roofline. */
    private static Map<String, Object> toJson(BenchModel m, BenchResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model_filename", m.file());
        o.put("model_type", m.description() + " " + m.type());
        o.put("model_size", m.size());
        o.put("model_n_params", m.params());
        o.put("weight_type", m.type());
        o.put("n_batch", r.batch());
        o.put("n_threads", r.threads());
        String[] kv = r.kvType().split("/");
        o.put("type_k", kv[0]);
        o.put("type_v", kv[kv.length - 1]);
        o.put("test", r.test().name());
        o.put("n_prompt", r.test().promptTokens());
        o.put("n_gen", r.test().generatedTokens());
        o.put("n_depth", r.test().depth());
        SampleStats ns = r.ns();
        SampleStats ts = r.ts();
        o.put("avg_ns", Math.round(ns.mean()));
        o.put("stddev_ns", Math.round(ns.sd()));
        o.put("avg_ts", ts.mean());
        o.put("stddev_ts", ts.sd());
        o.put("samples_ns", r.samplesNs());
        o.put("samples_ts", r.samplesTs());
        o.put("bw_gbs", r.bandwidthMeasured() ? r.bandwidth() / 1e9 : null);
        o.put("bytes_per_token", m.bytesPerToken());
        double roof = r.roofline();
        o.put("roofline", Double.isNaN(roof) ? null : roof);
        return o;
    }
}
