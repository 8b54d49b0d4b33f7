package llm4j.model.tokenizer;

import java.util.Arrays;

/**
 * llama.cpp's clean_spaces detokenizer step for BPE vocabularies whose training text was cleaned the same way
 * (Hugging Face's clean_up_tokenization_spaces): " ?", " !", " .", " ," lose the space, a lone " ' " loses both
 * spaces, and " 's", " 'm", " 're", " 've" lose theirs (" 't", " 'd", " 'll" keep it). Each pass compacts the
 * buffer in place, and the lone-apostrophe pass sees its own earlier edits, exactly as llama.cpp's does.
 * Only ASCII bytes are examined, so multi-byte characters pass through untouched.
 */
final class SpaceCleanup {

    private SpaceCleanup() {
    }

    static byte[] apply(byte[] text) {
        byte[] buf = text.clone();
        int length = glueMarks(buf, buf.length);
        length = glueLoneApostrophes(buf, length);
        length = glueContractions(buf, length);
        return Arrays.copyOf(buf, length);
    }

    private static int glueMarks(byte[] buf, int length) {
        int kept = Math.min(length, 1);
        for (int i = 1; i < length; i++) {
            byte b = buf[i];
            if (buf[i - 1] == ' ' && (b == '?' || b == '!' || b == '.' || b == ',')) {
                kept--; // the space just kept goes
            }
            buf[kept++] = b;
        }
        return kept;
    }

    private static int glueLoneApostrophes(byte[] buf, int length) {
        int kept = Math.min(length, 1);
        for (int i = 1; i < length; i++) {
            byte b = buf[i];
            if (b == '\'' && i + 1 < length && buf[i - 1] == ' ' && buf[i + 1] == ' ') {
                kept--;        // the space before goes
                buf[++i] = 0;  // and the one after is skipped (and blanked, which later comparisons see)
            }
            buf[kept++] = b;
        }
        return kept;
    }

    private static int glueContractions(byte[] buf, int length) {
        int kept = Math.min(length, 1);
        for (int i = 1; i < length; i++) {
            byte b = buf[i];
            if (buf[i - 1] == ' ' && b == '\'' && gluesToWord(buf, i + 1, length)) {
                kept--;
            }
            buf[kept++] = b;
        }
        return kept;
    }

    private static boolean gluesToWord(byte[] buf, int at, int length) {
        if (at >= length) {
            return false;
        }
        byte first = buf[at];
        if (first == 's' || first == 'm') {
            return true;
        }
        return at + 1 < length && (first == 'r' || first == 'v') && buf[at + 1] == 'e';
    }
}
