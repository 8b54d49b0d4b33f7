package llm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import llm4j.model.kv.PagedKvCache;
import llm4j.model.kv.PromptCacheFile;

/** {@code --prompt-cache} for one run: restore a shared prefix before prefill, save the prompt's state after it. */
final class PromptCaching {

    private final Path file;
    private final Path model;
    private final String loadOptions;
    private final PagedKvCache kv;
    private final int[] prompt;
    private final PrintWriter err;
    private String sha;
    private int restored;
    private boolean saved;

    /** {@code loadOptions}: how the weights were changed at load ({@code --quantize-on-load}), null for as stored. */
    PromptCaching(Path file, Path model, String loadOptions, PagedKvCache kv, int[] prompt, PrintWriter err) {
        this.file = file;
        this.model = model;
        this.loadOptions = loadOptions;
        this.kv = kv;
        this.prompt = prompt;
        this.err = err;
    }

    private String sha() {
        if (sha == null) {
            sha = identity(model, loadOptions);
        }
        return sha;
    }

    /** What a prompt cache is tied to: the model's sha256, and the weights' re-encoding at load if any. */
    static String identity(Path model, String loadOptions) {
        try {
            String sha = PromptCacheFile.sha256(model);
            return loadOptions == null || loadOptions.isBlank() ? sha : sha + "+quantize-on-load=" + loadOptions.strip().toLowerCase(java.util.Locale.ROOT);
        } catch (IOException e) {
            throw CliException.failure("cannot hash " + model + " for the prompt cache: " + e.getMessage());
        }
    }

    /** Positions restored from the file (0 when it is missing or made for something else). */
    int restore() {
        if (!Files.exists(file)) {
            return 0;
        }
        try {
            PromptCacheFile.LoadResult r = PromptCacheFile.load(file, sha(), kv, prompt);
            if (r.mismatch() != null) {
                err.println("llm4j: warning: ignoring prompt cache " + file + ": " + r.mismatch().reason());
                err.flush();
                return 0;
            }
            restored = r.restored();
            return restored;
        } catch (PromptCacheFile.PromptCacheException e) {
            throw CliException.failure("prompt cache " + e.getMessage() + " (delete it to start afresh)");
        }
    }

    /** Runs after prefill; a failure to save is a warning, not a failed run. */
    void save() {
        try {
            saved = PromptCacheFile.save(file, sha(), kv, prompt);
            if (!saved) {
                err.println("llm4j: warning: prompt cache not saved: the prompt did not stay whole in the KV cache");
                err.flush();
            }
        } catch (IOException e) {
            err.println("llm4j: warning: cannot save prompt cache " + file + ": " + e.getMessage());
            err.flush();
        }
    }

    String summary() {
        return "prompt cache: reused " + restored + " of " + prompt.length + " prompt tokens" + (saved ? ", saved " + file : "");
    }
}
