package llm4j.quant.format;

import llm4j.quant.GgmlType;

class Q5_KFormatTest extends KQuantProperties {

    @Override
    GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    int[] halfOffsets() {
        return new int[] {0, 2}; // d at 0, dmin at 2
    }

    @Override
    double rmsErrorBound() {
        return 0.065;
    }

    @Override
    double maxErrorBound() {
        return 0.16;
    }
}
