package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import llm4j.model.Model;
import llm4j.model.kv.KvCapacityException;
import llm4j.model.kv.PagedKvCache;
import llm4j.model.parallel.WorkerPool;
import llm4j.model.perplexity.KlDivergence;
import llm4j.model.perplexity.LogProbArchive;
import llm4j.model.perplexity.Perplexity;
import llm4j.model.perplexity.PerplexityResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm4j perplexity}: llama-perplexity's measurement, the instrument every quality claim uses. */
@Command(name = "perplexity", header = "Measure perplexity and KL divergence as llama-perplexity does.", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Measure perplexity on a text as llama-perplexity does: chunks of -c tokens, BOS first,",
            "the second half of each chunk scored. Optionally save or compare full distributions (KL divergence)."},
        footer = {"", "Examples:",
            "  llm4j perplexity ../shared/models/gguf/stories260K.gguf -f ../shared/golden/corpus.txt -c 128",
            "  llm4j perplexity ../shared/models/gguf/stories260K.gguf -f ../shared/golden/corpus.txt -c 128 --kl-divergence-base base.kld",
            "  llm4j perplexity ../shared/models/gguf/stories260K-Q8_0.gguf -c 128 --kl-divergence-base base.kld --kl-divergence"})
final class PerplexityCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "GGUF or SMQ model file, or a Hugging Face folder.")
    Path model;

    @Option(names = "--quantize-on-load", paramLabel = "TYPE",
            description = "Re-encode the weight matrices to TYPE (e.g. q8_0) when loading; the file is not changed.")
    String quantizeOnLoad;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Text to score (not needed with --kl-divergence: the base file holds the tokens).")
    Path textFile;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "512", description = "Chunk size in tokens. Default: ${DEFAULT-VALUE}.")
    int context;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0", description = "Worker threads; 0 uses every core.")
    int threads;

    @Option(names = "--chunks", paramLabel = "N", defaultValue = "-1", description = "Score at most N chunks; -1 scores all.")
    int maxChunks;

    @Option(names = "--kl-divergence-base", paramLabel = "FILE",
            description = "Save this model's log-probabilities to FILE, or with --kl-divergence read them from FILE.")
    Path klBase;

    @Option(names = "--kl-divergence", description = "Compare with the distributions saved in --kl-divergence-base.")
    boolean klCompare;

    @Option(names = "--json", description = "Print the result as one JSON object on standard output.")
    boolean json;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "0",
            description = "Tokens per batch within a chunk; 0 uses the chunk size. Smaller batches let a capped cache requantize within a chunk.")
    int batch;

    @Mixin
    KvOptions kvOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (context < 8) {
            throw CliException.usage("-c must be at least 8, not " + context);
        }
        if (klCompare && klBase == null) {
            throw CliException.usage("--kl-divergence needs --kl-divergence-base FILE");
        }
        if (!klCompare && textFile == null) {
            throw CliException.usage("perplexity needs the text to score: -f FILE");
        }
        Path path = ModelLocator.resolve(model);
        try (Model m = Model.load(path, LoadOptionsParser.parse(quantizeOnLoad));
             WorkerPool pool = new WorkerPool(threads > 0 ? threads : WorkerPool.defaultThreads());
             LogProbArchive.Base base = klCompare ? LogProbArchive.open(klBase) : null) {
            int[] tokens;
            int ctx = context;
            if (base != null) {
                tokens = base.tokens();
                ctx = base.ctx();
                if (base.vocab() != m.config().vocabSize()) {
                    throw CliException.failure(klBase + ": saved with a vocabulary of " + base.vocab() + ", this model has " + m.config().vocabSize());
                }
            } else {
                String text = PromptInput.read(null, textFile, System.in, err);
                tokens = m.tokenizer().encode(text, true, false);
            }
            int chunks = tokens.length / ctx;
            if (maxChunks > 0) {
                chunks = Math.min(chunks, maxChunks);
            }
            if (chunks < 1) {
                throw CliException.failure("the text has " + tokens.length + " tokens, fewer than one chunk of " + ctx);
            }
            int[] used = java.util.Arrays.copyOf(tokens, chunks * ctx);
            err.printf(Locale.ROOT, "perplexity: %d tokens, %d chunks of %d, scoring the last %d tokens of each%n",
                    tokens.length, chunks, ctx, ctx - 1 - ctx / 2);
            // before any output file exists: each chunk is one batch, and its scored half keeps logits
            m.requireMemoryFor(ctx, ctx, ctx - ctx / 2, pool.threads());
            int bos = m.tokenizer().bos();
            KlDivergence kld = base == null ? null : new KlDivergence(base);
            LogProbArchive.Writer writer = klBase != null && !klCompare
                    ? LogProbArchive.create(klBase, ctx, m.config().vocabSize(), chunks, used) : null;
            PerplexityResult result;
            PagedKvCache cache;
            try {
                Perplexity.RowSink sink = kld != null ? kld : writer;
                if (batch < 0) {
                    throw CliException.usage("-b must be at least 1 (or 0 for the chunk size), not " + batch);
                }
                PagedKvCache kv = kvOptions.newCache(m, ctx, ctx);
                cache = kv;
                result = new Perplexity(m.transformer(), pool).run(used, ctx, batch == 0 ? ctx : batch, bos, kv, sink, (c, ppl) -> {
                    if (!json) {
                        err.printf(Locale.ROOT, "[%d]%.4f,", c + 1, ppl);
                        err.flush();
                    }
                });
                if (writer != null) {
                    writer.commit();
                }
            } catch (KvCapacityException e) {
                throw CliException.failure(e.getMessage());
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
            report(out, err, result, kld == null ? null : kld.result());
            if (cache.settings().capped() && !json) {
                cache.stats().lines().forEach(err::println);
                err.flush();
            }
        } catch (IOException e) {
            throw CliException.failure("cannot write " + klBase + ": " + e.getMessage());
        }
        return 0;
    }

    private void report(PrintWriter out, PrintWriter err, PerplexityResult r, KlDivergence.Result k) throws IOException {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("ppl", r.ppl());
            o.put("ppl_err", r.pplError());
            o.put("n_chunks", r.chunks());
            o.put("n_ctx", r.context());
            o.put("scored_tokens", r.scoredTokens());
            o.put("running_ppl_per_chunk", r.runningPpl());
            if (k != null) {
                o.put("kld", k);
            }
            out.println(new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).writeValueAsString(o));
            out.flush();
            return;
        }
        err.println();
        out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", r.ppl(), r.pplError());
        if (k != null) {
            out.printf(Locale.ROOT, "Mean PPL(base)  : %.6f%n", k.basePpl());
            out.printf(Locale.ROOT, "Mean ln(PPL(Q)/PPL(base)): %.6f%n", Math.log(r.ppl() / k.basePpl()));
            out.printf(Locale.ROOT, "Mean    KLD: %10.6f +/- %10.6f%n", k.meanKld(), k.meanKldError());
            out.printf(Locale.ROOT, "Maximum KLD: %10.6f%n99.9%%   KLD: %10.6f%n99.0%%   KLD: %10.6f%n95.0%%   KLD: %10.6f%n",
                    k.max(), k.p999(), k.p99(), k.p95());
            out.printf(Locale.ROOT, "Median  KLD: %10.6f%n10.0%%   KLD: %10.6f%n 5.0%%   KLD: %10.6f%n 1.0%%   KLD: %10.6f%nMinimum KLD: %10.6f%n",
                    k.median(), k.p10(), k.p5(), k.p1(), k.min());
            out.printf(Locale.ROOT, "Mean    Δp: %.3f %%%nRMS Δp    : %.3f %%%nSame top p: %.3f %%%n",
                    k.meanDeltaPPercent(), k.rmsDeltaPPercent(), k.sameTopPercent());
        }
        out.flush();
    }
}
