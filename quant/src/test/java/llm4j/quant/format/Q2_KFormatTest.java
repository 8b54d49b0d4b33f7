package llm4j.quant.format;

import llm4j.quant.GgmlType;

class Q2_KFormatTest extends KQuantProperties {

    @Override
    GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    int[] halfOffsets() {
        return new int[] {80, 82}; // d at 80, dmin at 82
    }

    @Override
    double rmsErrorBound() {
        return 0.55;
    }

    @Override
    double maxErrorBound() {
        return 0.7;
    }
}
