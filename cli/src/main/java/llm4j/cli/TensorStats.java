package llm4j.cli;

import llm4j.loader.TensorView;
import llm4j.quant.WeightTensor;

/** Min, max, mean and standard deviation of a tensor's dequantized values, with NaN and Inf counts. */
record TensorStats(double min, double max, double mean, double std, long nan, long inf) {

    /**
     * Reads the tensor row by row (rows are small; a whole tensor may not fit in a Java array), through the
     * tensor's own decoder so that SMQ's separate-scale layouts read right too.
     */
    static TensorStats of(TensorView t) {
        int cols = (int) t.cols();
        int rows = Math.toIntExact(t.rows());
        WeightTensor w = t.matrix(rows, cols);
        float[] row = new float[cols];
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sumSq = 0;
        long finite = 0;
        long nan = 0;
        long inf = 0;
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (float v : row) {
                if (Float.isNaN(v)) {
                    nan++;
                } else if (Float.isInfinite(v)) {
                    inf++;
                } else {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    sum += v;
                    sumSq += (double) v * v;
                    finite++;
                }
            }
        }
        double mean = finite == 0 ? Double.NaN : sum / finite;
        double variance = finite == 0 ? Double.NaN : Math.max(0, sumSq / finite - mean * mean);
        return new TensorStats(finite == 0 ? Double.NaN : min, finite == 0 ? Double.NaN : max, mean, Math.sqrt(variance), nan, inf);
    }

    /** The first {@code limit} dequantized values, in storage order. */
    static float[] first(TensorView t, int limit) {
        int cols = (int) t.cols();
        WeightTensor w = t.matrix(Math.toIntExact(t.rows()), cols);
        int n = (int) Math.min(limit, t.elementCount());
        float[] out = new float[n];
        float[] row = new float[cols];
        for (int done = 0, r = 0; done < n; r++) {
            w.dequantizeRow(r, row, 0);
            int take = Math.min(cols, n - done);
            System.arraycopy(row, 0, out, done, take);
            done += take;
        }
        return out;
    }
}
