package llm4j.quant.format;

import llm4j.quant.GgmlType;

class Q6_KFormatTest extends KQuantProperties {

    @Override
    GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    int[] halfOffsets() {
        return new int[] {208}; // d at 208
    }

    @Override
    double rmsErrorBound() {
        return 0.043;
    }

    @Override
    double maxErrorBound() {
        return 0.11;
    }
}
