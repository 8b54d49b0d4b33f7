package llm4j.quant.format;

import llm4j.quant.GgmlType;

class Q4_KFormatTest extends KQuantProperties {

    @Override
    GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    int[] halfOffsets() {
        return new int[] {0, 2}; // d at 0, dmin at 2
    }

    @Override
    double rmsErrorBound() {
        return 0.13;
    }

    @Override
    double maxErrorBound() {
        return 0.19;
    }
}
