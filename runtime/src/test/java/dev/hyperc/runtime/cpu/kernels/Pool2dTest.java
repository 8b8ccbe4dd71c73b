package dev.hyperc.runtime.cpu.kernels;

import static dev.hyperc.runtime.cpu.kernels.KernelTesting.assertClose;
import static dev.hyperc.runtime.cpu.kernels.KernelTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hyperc.compiler.ir.Op;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Max and average pooling, forward and backward, against the ReferenceEvaluator's pool2d and pool2d_grad. */
class Pool2dTest {
    static void check(Pool2d.Kind kind, int[] shape, int[] window, int[] stride, int[] pad, float[] x) {
        int r = shape.length, planes = 1;
        for (int i = 0; i < r - 2; i++) planes *= shape[i];
        Pool2d pool = new Pool2d(kind, planes, shape[r - 2], shape[r - 1], window[0], window[1], stride[0], stride[1],
                pad[0], pad[1], pad[2], pad[3]);
        Op.PoolKind ok = kind == Pool2d.Kind.MAX ? Op.PoolKind.MAX : Op.PoolKind.AVG;
        int[] ys = shape.clone();
        ys[r - 2] = pool.outHeight;
        ys[r - 1] = pool.outWidth;
        float[] dy = random(pool.outputSize(), 5);
        double[] y = Oracle.run(new Op.Pool2d(ok, window, stride, pad), new int[][] {shape}, x);
        double[] dx = Oracle.run(new Op.Pool2dGrad(ok, window, stride, pad), new int[][] {shape, ys}, x, dy);
        String what = kind + " " + Arrays.toString(shape) + " w" + Arrays.toString(window) + " s" + Arrays.toString(stride) + " p" + Arrays.toString(pad);
        try (Parallel par = new Parallel(2)) {
            for (Parallel p : new Parallel[] {null, par}) {
                float[] gy = new float[pool.outputSize() + 1], gdx = random(pool.inputSize() + 2, 7);
                float[] xo = new float[x.length + 3];
                System.arraycopy(x, 0, xo, 3, x.length);
                pool.forward(p, xo, 3, gy, 1);
                assertClose(what + " forward", y, gy, 1, 1e-6);
                pool.backward(p, xo, 3, dy, 0, gdx, 2);
                assertClose(what + " backward", dx, gdx, 2, 1e-6);
            }
        }
    }

    @Test
    void oddWindowsStridesAndPadding() {
        for (Pool2d.Kind kind : Pool2d.Kind.values()) {
            check(kind, new int[] {2, 3, 7, 9}, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0}, random(2 * 3 * 63, 1));
            check(kind, new int[] {3, 28, 28}, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 1, 0, 1}, random(3 * 784, 2));
            check(kind, new int[] {2, 1, 5, 6}, new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 2, 0, 1}, random(60, 3));
            check(kind, new int[] {4, 2, 3, 6, 5}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, random(720, 4));
        }
    }

    @Test
    void maxRoutesToTheFirstMaximumInRowMajorOrder() {
        // Ties everywhere: integer values in {0, 1, 2}, overlapping windows (stride 1 < window 3).
        float[] x = new float[2 * 6 * 7];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(3);
        check(Pool2d.Kind.MAX, new int[] {2, 6, 7}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 0, 2, 1}, x);
        // The exact routing: in [[1, 5], [5, 2]] the first 5 (row 0, column 1) gets dy.
        Pool2d pool = new Pool2d(Pool2d.Kind.MAX, 1, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0);
        float[] dx = new float[4];
        pool.backward(null, new float[] {1, 5, 5, 2}, 0, new float[] {7}, 0, dx, 0);
        assertArrayEquals(new float[] {0, 7, 0, 0}, dx);
    }

    @Test
    void nanFollowsTheReference() {
        // The reference replaces the running maximum only on a strictly greater value.
        float[] x = {Float.NaN, 1, 2, 3, 4, Float.NaN, 6, 7};
        check(Pool2d.Kind.MAX, new int[] {1, 2, 4}, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0}, x);
    }

    @Test
    void aWindowWhollyInThePaddingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Pool2d(Pool2d.Kind.AVG, 1, 4, 4, 1, 1, 1, 1, 1, 0, 0, 0));
    }
}
