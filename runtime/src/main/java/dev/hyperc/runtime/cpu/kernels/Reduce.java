package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions along one axis of a row-major view x[outer, n, inner] into out[outer, inner], and a deterministic
 * parallel sum of a whole array.
 *
 * <p>Two loop shapes, both vectorised: when {@code inner == 1} (reducing the last axis) each output is a
 * horizontal reduction of a contiguous run, done with four vector accumulators then a lane reduction; otherwise
 * the rows x[o, k, :] are combined lane-wise into out[o, :], which is contiguous. Max and min follow
 * {@link Math#max}/{@link Math#min} (a NaN anywhere gives NaN), like the reference evaluator.
 *
 * <p>Thread-count independence: the parallel forms split {@code outer} (or, when outer is 1, the inner axis in
 * whole vectors), never the reduced axis, so each output is summed in the same order whatever the split.
 * {@link #sumAll} splits the array into fixed blocks of {@value #BLOCK} elements whose partial sums are added in
 * block order, so it too is independent of the thread count.
 */
public final class Reduce {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** Block of {@link #sumAll}: large enough to amortise a hand-off, small enough to balance the threads. */
    static final int BLOCK = 1 << 14;

    /** What to combine with. */
    public enum Fn {
        SUM(VectorOperators.ADD, 0f), MAX(VectorOperators.MAX, Float.NEGATIVE_INFINITY), MIN(VectorOperators.MIN, Float.POSITIVE_INFINITY);

        final VectorOperators.Associative op;
        final float identity;

        Fn(VectorOperators.Associative op, float identity) {
            this.op = op;
            this.identity = identity;
        }

        float apply(float a, float b) {
            return switch (this) {
                case SUM -> a + b;
                case MAX -> Math.max(a, b);
                case MIN -> Math.min(a, b);
            };
        }
    }

    private Reduce() {}

    /** out[o·inner + i] = fn over k of x[off + (o·n + k)·inner + i], on the calling thread. */
    public static void axis(Fn fn, float[] x, int off, int outer, int n, int inner, float[] out, int outOff) {
        range(fn, x, off, 0, outer, n, inner, 0, inner, out, outOff);
    }

    /** As {@link #axis}, split over the threads of {@code par} along outer, or along inner when outer is 1. */
    public static void axis(Parallel par, Fn fn, float[] x, int off, int outer, int n, int inner, float[] out, int outOff) {
        long work = (long) outer * n * inner;
        if (par == null || par.threads() == 1 || work < 1 << 15) {
            axis(fn, x, off, outer, n, inner, out, outOff);
            return;
        }
        try (AxisTask t = AXIS_TASKS.acquire()) {
            t.fn = fn; t.x = x; t.off = off; t.outer = outer; t.n = n; t.inner = inner; t.out = out; t.outOff = outOff;
            t.byInner = outer < par.threads() && inner >= 2 * VL;
            par.forRange(t.byInner ? (inner + VL - 1) / VL : outer, t);
        }
    }

    /** Outputs [o0, o1) × [i0, i1). */
    static void range(Fn fn, float[] x, int off, int o0, int o1, int n, int inner, int i0, int i1, float[] out, int outOff) {
        for (int o = o0; o < o1; o++) {
            int base = off + o * n * inner, ob = outOff + o * inner;
            if (inner == 1) out[ob] = contiguous(fn, x, base, n);
            else rows(fn, x, base, n, inner, i0, i1, out, ob);
        }
    }

    /** fn over x[off, off + n). */
    static float contiguous(Fn fn, float[] x, int off, int n) {
        FloatVector id = FloatVector.broadcast(S, fn.identity);
        FloatVector a0 = id, a1 = id, a2 = id, a3 = id;
        int k = 0;
        for (; k + 4 * VL <= n; k += 4 * VL) {
            a0 = a0.lanewise(fn.op, FloatVector.fromArray(S, x, off + k));
            a1 = a1.lanewise(fn.op, FloatVector.fromArray(S, x, off + k + VL));
            a2 = a2.lanewise(fn.op, FloatVector.fromArray(S, x, off + k + 2 * VL));
            a3 = a3.lanewise(fn.op, FloatVector.fromArray(S, x, off + k + 3 * VL));
        }
        for (; k < n; k += VL) {
            VectorMask<Float> m = S.indexInRange(k, n);
            a0 = a0.lanewise(fn.op, FloatVector.fromArray(S, x, off + k, m), m);
        }
        FloatVector acc = a0.lanewise(fn.op, a1).lanewise(fn.op, a2.lanewise(fn.op, a3));
        return Lanes.fold(acc, fn.op);
    }

    /** out[i] = fn over k of x[off + k·inner + i], i in [i0, i1). */
    static void rows(Fn fn, float[] x, int off, int n, int inner, int i0, int i1, float[] out, int outOff) {
        if (n == 0) {
            java.util.Arrays.fill(out, outOff + i0, outOff + i1, fn.identity);
            return;
        }
        int i = i0;
        for (; i + 2 * VL <= i1; i += 2 * VL) {
            FloatVector a0 = FloatVector.fromArray(S, x, off + i), a1 = FloatVector.fromArray(S, x, off + i + VL);
            for (int k = 1; k < n; k++) {
                int r = off + k * inner + i;
                a0 = a0.lanewise(fn.op, FloatVector.fromArray(S, x, r));
                a1 = a1.lanewise(fn.op, FloatVector.fromArray(S, x, r + VL));
            }
            a0.intoArray(out, outOff + i);
            a1.intoArray(out, outOff + i + VL);
        }
        for (; i < i1; i += VL) {
            VectorMask<Float> m = S.indexInRange(i, i1);
            FloatVector a = FloatVector.broadcast(S, fn.identity);
            for (int k = 0; k < n; k++) a = a.lanewise(fn.op, FloatVector.fromArray(S, x, off + k * inner + i, m));
            a.intoArray(out, outOff + i, m);
        }
    }

    /**
     * Σ x[off, off + n), deterministic and independent of the thread count: blocks of {@value #BLOCK} elements are
     * summed in f32 vector lanes, their sums are accumulated in f64 in block order.
     */
    public static double sumAll(Parallel par, float[] x, int off, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        if (par == null || par.threads() == 1 || blocks < 2) {
            double s = 0;
            for (int b = 0; b < blocks; b++) s += contiguous(Fn.SUM, x, off + b * BLOCK, Math.min(BLOCK, n - b * BLOCK));
            return s;
        }
        try (SumTask t = SUM_TASKS.acquire()) {
            if (t.partial.length < blocks) t.partial = new double[blocks];
            t.x = x; t.off = off; t.n = n;
            par.forRange(blocks, t);
            double s = 0;
            for (int b = 0; b < blocks; b++) s += t.partial[b];
            return s;
        }
    }

    // ------------------------------------------------------------------ reusable parallel bodies (no allocation per call)

    private static final Reusable<AxisTask> AXIS_TASKS = new Reusable<>(AxisTask::new);

    private static final class AxisTask extends Reusable.Args implements Parallel.IntRangeBody {
        boolean byInner;
        Fn fn;
        float[] x, out;
        int off, outer, n, inner, outOff;

        @Override
        void clear() {
            x = out = null;
        }

        @Override
        public void run(int start, int end) {
            if (byInner) range(fn, x, off, 0, outer, n, inner, start * VL, Math.min(end * VL, inner), out, outOff);
            else range(fn, x, off, start, end, n, inner, 0, inner, out, outOff);
        }
    }

    private static final Reusable<SumTask> SUM_TASKS = new Reusable<>(SumTask::new);

    private static final class SumTask extends Reusable.Args implements Parallel.IntRangeBody {
        float[] x;
        int off, n;
        /** Grown to the largest block count seen, then reused. */
        double[] partial = new double[0];

        @Override
        void clear() {
            x = null;
        }

        @Override
        public void run(int start, int end) {
            for (int b = start; b < end; b++) partial[b] = contiguous(Fn.SUM, x, off + b * BLOCK, Math.min(BLOCK, n - b * BLOCK));
        }
    }
}
