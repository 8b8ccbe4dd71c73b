package dev.hyperc.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ReduceLoop} against a plain per-element fold in double, on the reductions the models use (bias gradients over
 * batch and pixels, global mean pooling, a max over channels) and on shapes whose axes merge and whose rows are long
 * enough for the vectorised row sum, or too short for it.
 */
class ReduceLoopTest {
    private static void check(Op.ReduceFn fn, int[] shape, int[] axes, boolean throughExpr) {
        Random r = new Random(shape.length * 31L + axes.length);
        int n = 1;
        for (int d : shape) n *= d;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a] = true;
        int outN = 1;
        for (int i = 0; i < shape.length; i++) if (!red[i]) outN *= shape[i];
        long[] outShape = new long[shape.length - axes.length];
        for (int i = 0, k = 0; i < shape.length; i++) if (!red[i]) outShape[k++] = shape[i];
        long[] inShape = new long[shape.length];
        for (int i = 0; i < shape.length; i++) inShape[i] = shape[i];
        float[][] bufs = {new float[outN], x};
        Expr in = new Expr.Load(BufferRef.contiguous(1, 0, inShape));
        if (throughExpr) in = new Expr.Unary(Op.UnaryFn.RELU, in);
        Kernel.Reduce k = new Kernel.Reduce(fn, BufferRef.contiguous(0, 0, outShape), in, inShape, axes, null);
        try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
            new ReduceLoop(k, ref -> Strided.of(bufs[ref.buffer()], 0, ref)).run(1, new CpuExecutor.ScratchPool(2), pool);
        }
        double[] want = new double[outN];
        java.util.Arrays.fill(want, fn == Op.ReduceFn.MAX ? Double.NEGATIVE_INFINITY : 0);
        long count = n / outN;
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int rest = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
            int o = 0;
            for (int d = 0; d < shape.length; d++) if (!red[d]) o = o * shape[d] + idx[d];
            double v = throughExpr ? Math.max(x[i], 0f) : x[i];
            want[o] = fn == Op.ReduceFn.MAX ? Math.max(want[o], v) : want[o] + v;
        }
        for (int o = 0; o < outN; o++) {
            double w = fn == Op.ReduceFn.MEAN ? want[o] / count : want[o];
            assertEquals((float) w, bufs[0][o], 1e-6 * Math.max(1, Math.abs(w)),
                    fn + " of " + java.util.Arrays.toString(shape) + " over " + java.util.Arrays.toString(axes) + ", output " + o);
        }
    }

    @Test
    void biasGradientsOverBatchAndPixels() {
        check(Op.ReduceFn.SUM, new int[] {3, 16, 13, 13}, new int[] {0, 2, 3}, false); // rows of 169 after merging 13 × 13
        check(Op.ReduceFn.SUM, new int[] {5, 7, 3, 1}, new int[] {0, 2, 3}, false); // short rows
        check(Op.ReduceFn.SUM, new int[] {2, 3, 40, 41}, new int[] {0, 2, 3}, true);
    }

    @Test
    void globalMeanPoolAndMaxOverChannels() {
        check(Op.ReduceFn.MEAN, new int[] {32, 64, 2, 2}, new int[] {2, 3}, true);
        check(Op.ReduceFn.MEAN, new int[] {2, 5, 17, 19}, new int[] {2, 3}, false);
        check(Op.ReduceFn.MAX, new int[] {4, 9, 5, 6}, new int[] {1}, false);
        check(Op.ReduceFn.SUM, new int[] {7, 1000}, new int[] {1}, false);
        check(Op.ReduceFn.SUM, new int[] {6000}, new int[] {0}, true);
    }
}
