package dev.hyperc.runtime;

import java.util.Arrays;

/**
 * A dense row-major tensor in host memory: the runtime's exchange type for inputs, outputs,
 * parameters and checkpoints. Exactly one of {@code f32} and {@code i32} is non-null.
 */
public record HostTensor(int[] shape, float[] f32, int[] i32) {
    public HostTensor {
        shape = shape.clone();
        long n = numel(shape);
        if ((f32 == null) == (i32 == null)) throw new IllegalArgumentException("a tensor holds exactly one of f32 or i32 data");
        int len = f32 != null ? f32.length : i32.length;
        if (len != n) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " elements, got " + len);
    }

    public static HostTensor f32(int[] shape, float[] data) { return new HostTensor(shape, data, null); }

    public static HostTensor i32(int[] shape, int[] data) { return new HostTensor(shape, null, data); }

    public static HostTensor zerosF32(int... shape) { return f32(shape, new float[Math.toIntExact(numel(shape))]); }

    public static HostTensor scalar(float v) { return f32(new int[0], new float[] {v}); }

    public boolean isF32() { return f32 != null; }

    public int numel() { return isF32() ? f32.length : i32.length; }

    public int rank() { return shape.length; }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with " + numel() + " elements");
        return isF32() ? f32[0] : i32[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(f32, t.f32) && Arrays.equals(i32, t.i32);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(f32) + Arrays.hashCode(i32); }

    @Override
    public String toString() { return (isF32() ? "f32" : "i32") + Arrays.toString(shape); }
}
