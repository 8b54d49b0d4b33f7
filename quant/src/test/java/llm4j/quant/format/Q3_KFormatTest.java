package llm4j.quant.format;

import llm4j.quant.GgmlType;

class Q3_KFormatTest extends KQuantProperties {

    @Override
    GgmlType type() {
        return GgmlType.Q3_K;
    }

    @Override
    int[] halfOffsets() {
        return new int[] {108}; // d at 108
    }

    @Override
    double rmsErrorBound() {
        return 0.28;
    }

    @Override
    double maxErrorBound() {
        return 0.42;
    }
}
