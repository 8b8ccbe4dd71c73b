package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import java.util.function.Function;

/**
 * A reduction whose input may be a fused elementwise expression. The input is evaluated row by row
 * (through {@link FusedLoop} into a staging buffer owned by this kernel) and folded into the output;
 * sums accumulate in double so results do not depend on the order of a long reduction more than f32 must.
 */
final class ReduceLoop {
    private final Op.ReduceFn fn;
    private final Strided out;
    private final FusedLoop producer;
    private final Strided staged;
    /** The input's axes as the fold walks them: merged where both are reduced or both kept and adjacent. */
    private final int[] foldShape;
    private final double[] acc;
    private final long count;
    /** Output strides per fold axis (0 on reduced axes), mapping each input element to its output slot. */
    private final int[] ostride;
    /** Elements along the last input axis, and the output stride there (0 when it is reduced). */
    private final int inner, innerOs;

    ReduceLoop(Kernel.Reduce r, Function<BufferRef, Strided> bind) {
        fn = r.fn();
        out = bind.apply(r.out());
        int[] inShape = new int[r.inShape().length];
        for (int i = 0; i < inShape.length; i++) inShape[i] = Math.toIntExact(r.inShape()[i]);
        int n = 1;
        for (int d : inShape) n *= d;
        boolean[] reduced = new boolean[inShape.length];
        long c = 1;
        for (int a : r.axes()) {
            reduced[a] = true;
            c *= inShape[a];
        }
        count = c;
        if (r.in() instanceof Expr.Load l && bind.apply(l.ref()).contiguous()) {
            staged = bind.apply(l.ref());
            producer = null;
        } else {
            float[] buf = new float[Math.max(1, n)];
            staged = new Strided(buf, 0, inShape.clone(), rowMajor(inShape));
            producer = new FusedLoop(staged, r.in(), bind);
        }
        acc = new double[Math.max(1, out.numel())];
        int rank = inShape.length;
        int[] os = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!reduced[i]) {
                os[i] = s;
                s *= inShape[i];
            }
        }
        // The fold walks the staged input (row-major) in rows along its last axis. Adjacent axes that are both reduced,
        // or both kept and adjacent in the output, merge: a bias gradient over [32, 16, 13, 13] folds rows of 169, not 13.
        java.util.List<int[]> axes = new java.util.ArrayList<>(); // {size, output stride}
        for (int i = 0; i < rank; i++) {
            if (inShape[i] == 1) continue;
            if (!axes.isEmpty()) {
                int[] prev = axes.get(axes.size() - 1);
                if ((prev[1] == 0 && os[i] == 0) || (os[i] != 0 && prev[1] == os[i] * inShape[i])) {
                    prev[0] *= inShape[i];
                    prev[1] = os[i];
                    continue;
                }
            }
            axes.add(new int[] {inShape[i], os[i]});
        }
        if (axes.isEmpty()) axes.add(new int[] {1, 0});
        foldShape = new int[axes.size()];
        ostride = new int[axes.size()];
        for (int i = 0; i < axes.size(); i++) {
            foldShape[i] = axes.get(i)[0];
            ostride[i] = axes.get(i)[1];
        }
        inner = foldShape[foldShape.length - 1];
        innerOs = ostride[ostride.length - 1];
    }

    /** Below this many kept columns a reduction runs on one thread. */
    private static final int PARALLEL_COLUMNS = 4096;

    /** Folds columns [j0, j1) of every row of the staged input into {@code acc}. */
    private void fold(int j0, int j1) {
        int r = foldShape.length;
        float[] d = staged.data();
        int base = staged.base();
        int rows = staged.numel() / Math.max(1, inner);
        for (int row = 0; row < rows; row++) {
            int o = 0, rr = row;
            for (int k = r - 2; k >= 0; k--) {
                o += (rr % foldShape[k]) * ostride[k];
                rr /= foldShape[k];
            }
            int off = base + row * inner;
            switch (fn) {
                case SUM, MEAN -> {
                    if (innerOs == 0) {
                        acc[o] += rowSum(d, off, j0, j1);
                    } else if (innerOs == 1) {
                        addColumns(acc, o, d, off, j0, j1);
                    } else {
                        for (int j = j0; j < j1; j++) acc[o + j * innerOs] += d[off + j];
                    }
                }
                case MAX -> { for (int j = j0; j < j1; j++) acc[o + j * innerOs] = Math.max(acc[o + j * innerOs], d[off + j]); }
                case MIN -> { for (int j = j0; j < j1; j++) acc[o + j * innerOs] = Math.min(acc[o + j * innerOs], d[off + j]); }
            }
        }
    }

    /**
     * The widest double vector this machine has, and the float vector half its size that converts into it: 8 doubles
     * from 8 floats with AVX-512, 4 from 4 with AVX2. A fixed 512-bit double species would not be intrinsified on an
     * AVX2 machine and would run as boxed Java code.
     */
    private static final jdk.incubator.vector.VectorSpecies<Double> D = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED;
    private static final jdk.incubator.vector.VectorSpecies<Float> F = jdk.incubator.vector.VectorSpecies.of(float.class,
            jdk.incubator.vector.VectorShape.forBitSize(D.vectorBitSize() / 2));

    /**
     * acc[o + j] += d[off + j] for j in [j0, j1), widening to double: a vector of floats at a time converted exactly and added
     * in double, so each sum is the same as the scalar loop's.
     */
    private static void addColumns(double[] acc, int o, float[] d, int off, int j0, int j1) {
        int j = j0;
        for (; j + F.length() <= j1; j += F.length()) {
            var wide = (jdk.incubator.vector.DoubleVector) jdk.incubator.vector.FloatVector.fromArray(F, d, off + j)
                    .convertShape(jdk.incubator.vector.VectorOperators.F2D, D, 0);
            wide.add(jdk.incubator.vector.DoubleVector.fromArray(D, acc, o + j)).intoArray(acc, o + j);
        }
        for (; j < j1; j++) acc[o + j] += d[off + j];
    }

    /**
     * Σ d[off + j] for j in [j0, j1), in double: two vectors of partial sums (16 with AVX-512, 8 with AVX2), then the lanes
     * in order, then the tail. The order is fixed by the row length and the machine's vector size alone, so the sum is
     * deterministic; a single running sum would be
     * a chain of dependent adds, 4 cycles each.
     */
    private static double rowSum(float[] d, int off, int j0, int j1) {
        int j = j0;
        double sum = 0;
        if (j1 - j0 >= 2 * F.length()) {
            var s0 = jdk.incubator.vector.DoubleVector.zero(D);
            var s1 = s0;
            for (; j + 2 * F.length() <= j1; j += 2 * F.length()) {
                s0 = s0.add((jdk.incubator.vector.DoubleVector) jdk.incubator.vector.FloatVector.fromArray(F, d, off + j)
                        .convertShape(jdk.incubator.vector.VectorOperators.F2D, D, 0));
                s1 = s1.add((jdk.incubator.vector.DoubleVector) jdk.incubator.vector.FloatVector.fromArray(F, d, off + j + F.length())
                        .convertShape(jdk.incubator.vector.VectorOperators.F2D, D, 0));
            }
            var both = s0.add(s1);
            for (int l = 0; l < D.length(); l++) sum += both.lane(l);
        }
        for (; j < j1; j++) sum += d[off + j];
        return sum;
    }

    private static int[] rowMajor(int[] shape) {
        int[] s = new int[shape.length];
        int a = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = a;
            a *= shape[i];
        }
        return s;
    }

    void run(long seed, CpuExecutor.ScratchPool scratch, Parallel pool) {
        if (producer != null) {
            int rows = producer.rows();
            if (rows >= 2 && (long) staged.numel() >= 16384) pool.forChunks(rows, (t, a, b) -> producer.run(a, b, scratch.frame(t, producer.nodeCount(), producer.operandCount()), seed));
            else producer.run(0, rows, scratch.frame(0, producer.nodeCount(), producer.operandCount()), seed);
        }
        double init = switch (fn) {
            case SUM, MEAN -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
        java.util.Arrays.fill(acc, init);
        if (innerOs != 0 && inner >= PARALLEL_COLUMNS && pool.threads() > 1) {
            // Columns are kept (a bias gradient: sum over the batch). Each thread folds its own column range over
            // every row, in row order, so each output's sum is the same whatever the thread count.
            pool.forChunks(inner, (t, j0, j1) -> fold(j0, j1));
        } else {
            fold(0, inner);
        }
        int n = out.numel();
        for (int i = 0; i < n; i++) out.set(i, ElementwiseOps.flush((float) (fn == Op.ReduceFn.MEAN ? acc[i] / count : acc[i])));
    }
}
