package llm4j.quant.kv;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian scalar fields inside cache byte arrays (ggml stores its blocks little-endian). */
final class KvBytes {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private KvBytes() {
    }

    static short getShort(byte[] a, int off) {
        return (short) SHORT.get(a, off);
    }

    static void putShort(byte[] a, int off, short v) {
        SHORT.set(a, off, v);
    }

    static void putInt(byte[] a, int off, int v) {
        INT.set(a, off, v);
    }

    static int getInt(byte[] a, int off) {
        return (int) INT.get(a, off);
    }

    static float getFloat(byte[] a, int off) {
        return (float) FLOAT.get(a, off);
    }

    static void putFloat(byte[] a, int off, float v) {
        FLOAT.set(a, off, v);
    }

    /** An fp16 field as float; scales are never NaN in practice, so no NaN quieting is needed. */
    static float half(byte[] a, int off) {
        return Float.float16ToFloat(getShort(a, off));
    }
}
