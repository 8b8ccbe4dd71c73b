package dev.hyperc.compiler.eval;

import java.util.Arrays;
import java.util.Random;

/**
 * A dense tensor of doubles for the {@link ReferenceEvaluator}: a shape and its elements in row-major
 * order. {@code i32} values are stored as exact doubles; the IR, not the tensor, says which values are ids.
 *
 * <p>The arrays are not copied on the way in or out: a tensor is meant to be built once and then only read.
 * {@link #equals} is exact; {@link #allClose} compares with a tolerance.
 */
public final class DTensor {
    private final int[] shape;
    private final double[] data;

    /** A tensor of {@code shape} holding {@code data} in row-major order; the lengths must agree. */
    public DTensor(int[] shape, double[] data) {
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("negative size in shape " + Arrays.toString(shape));
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel(shape) + " elements, got " + data.length);
        }
        this.shape = shape;
        this.data = data;
    }

    // ---------------------------------------------------------------- factories

    /** {@code DTensor.of(new int[] {2, 2}, 1, 2, 3, 4)}. */
    public static DTensor of(int[] shape, double... data) { return new DTensor(shape.clone(), data.clone()); }

    public static DTensor scalar(double v) { return new DTensor(new int[0], new double[] {v}); }

    public static DTensor vector(double... v) { return new DTensor(new int[] {v.length}, v.clone()); }

    /** A matrix from its rows, which must all have one length. */
    public static DTensor matrix(double[]... rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] d = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) throw new IllegalArgumentException("matrix rows differ in length");
            System.arraycopy(rows[i], 0, d, i * cols, cols);
        }
        return new DTensor(new int[] {rows.length, cols}, d);
    }

    public static DTensor zeros(int... shape) { return full(0.0, shape); }

    public static DTensor full(double value, int... shape) {
        double[] d = new double[numel(shape)];
        Arrays.fill(d, value);
        return new DTensor(shape.clone(), d);
    }

    /** 0, 1, 2, ... in row-major order: handy for hand-checked tests. */
    public static DTensor iota(int... shape) {
        double[] d = new double[numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return new DTensor(shape.clone(), d);
    }

    /** Standard-normal elements drawn from {@code rng} in row-major order. */
    public static DTensor normal(Random rng, int... shape) {
        double[] d = new double[numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextGaussian();
        return new DTensor(shape.clone(), d);
    }

    /** Uniform elements in [lo, hi) drawn from {@code rng} in row-major order. */
    public static DTensor uniform(Random rng, double lo, double hi, int... shape) {
        double[] d = new double[numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.nextDouble();
        return new DTensor(shape.clone(), d);
    }

    /** Integers in [0, bound) drawn from {@code rng}, stored as doubles: ids and labels for {@code i32} inputs. */
    public static DTensor ints(Random rng, int bound, int... shape) {
        double[] d = new double[numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextInt(bound);
        return new DTensor(shape.clone(), d);
    }

    // ---------------------------------------------------------------- access

    /** The shape (not a copy: do not modify). */
    public int[] shape() { return shape; }

    /** The elements in row-major order (not a copy: do not modify). */
    public double[] data() { return data; }

    public int rank() { return shape.length; }

    public int numel() { return data.length; }

    /** The element at a multi-index; every index must be in range. */
    public double get(int... idx) { return data[flatIndex(idx)]; }

    /** The only element of a one-element tensor (a scalar, [1], [1,1], ...). */
    public double item() {
        if (data.length != 1) throw new IllegalStateException("item() of a tensor with " + data.length + " elements");
        return data[0];
    }

    /** The same elements under another shape with the same element count. */
    public DTensor reshape(int... newShape) { return new DTensor(newShape.clone(), data); }

    /** Σ this·other over all elements; the shapes must be equal. */
    public double dot(DTensor other) {
        requireSameShape(other);
        double s = 0;
        for (int i = 0; i < data.length; i++) s += data[i] * other.data[i];
        return s;
    }

    // ---------------------------------------------------------------- indexing helpers

    /** Number of elements of a shape: the product of its sizes (1 for a scalar). */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return Math.toIntExact(n);
    }

    /** Row-major strides: the last axis has stride 1, each earlier one the product of the sizes after it. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** The flat position of a multi-index in a tensor of {@code shape}; checks every index. */
    public static int flatIndex(int[] shape, int[] idx) {
        if (idx.length != shape.length) {
            throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " has rank " + idx.length + ", shape " + Arrays.toString(shape) + " has " + shape.length);
        }
        int[] st = strides(shape);
        int f = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " is outside " + Arrays.toString(shape));
            f += idx[i] * st[i];
        }
        return f;
    }

    /** The multi-index of a flat position in a tensor of {@code shape}. */
    public static int[] multiIndex(int[] shape, int flat) {
        int[] st = strides(shape);
        int[] idx = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            idx[i] = flat / st[i];
            flat %= st[i];
        }
        return idx;
    }

    public int flatIndex(int... idx) { return flatIndex(shape, idx); }

    public int[] multiIndex(int flat) { return multiIndex(shape, flat); }

    // ---------------------------------------------------------------- comparison

    /**
     * Whether the shapes are equal and every pair of elements satisfies |a − b| ≤ atol + rtol·|b| (NumPy's
     * {@code allclose}, with {@code other} as the reference). NaNs compare equal to NaNs, infinities to equal infinities.
     */
    public boolean allClose(DTensor other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) return false;
        for (int i = 0; i < data.length; i++) {
            double a = data[i], b = other.data[i];
            if (Double.isNaN(a) || Double.isNaN(b)) {
                if (!(Double.isNaN(a) && Double.isNaN(b))) return false;
            } else if (Double.isInfinite(a) || Double.isInfinite(b)) {
                if (a != b) return false;
            } else if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
                return false;
            }
        }
        return true;
    }

    /** The largest |a − b| over the elements; the shapes must be equal. */
    public double maxAbsDiff(DTensor other) {
        requireSameShape(other);
        double m = 0;
        for (int i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i] - other.data[i]));
        return m;
    }

    private void requireSameShape(DTensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DTensor t && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data); }

    /** {@code [2,2]{1.0, 2.0, 3.0, 4.0}} for up to 64 elements, else the shape and the first 64 elements. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(Arrays.toString(shape).replace(" ", "")).append('{');
        int n = Math.min(data.length, 64);
        for (int i = 0; i < n; i++) sb.append(i > 0 ? ", " : "").append(data[i]);
        if (n < data.length) sb.append(", ... (").append(data.length).append(" elements)");
        return sb.append('}').toString();
    }
}
