package llm4j.model.synth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import llm4j.loader.gguf.TensorSink;
import llm4j.loader.gguf.TensorSource;

/** An F32 vector with every element equal to one value (RMS norm weights of 1). */
final class ConstantVectorSource implements TensorSource {

    private final int length;
    private final float value;

    ConstantVectorSource(int length, float value) {
        this.length = length;
        this.value = value;
    }

    @Override
    public void writeTo(TensorSink sink) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            b.putFloat(value);
        }
        sink.write(b.flip());
    }
}
