package dev.hyperc.runtime.cpu.kernels;

import static dev.hyperc.runtime.cpu.kernels.KernelTesting.assertClose;
import static dev.hyperc.runtime.cpu.kernels.KernelTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Forward and both adjoints against the ReferenceEvaluator's conv2d, conv2d_grad_input and conv2d_grad_kernel. */
class Conv2dTest {
    static final double TOL = 1e-5;
    static Parallel par2;

    @BeforeAll
    static void pool() {
        par2 = new Parallel(2);
    }

    @AfterAll
    static void close() {
        par2.close();
    }

    /** x and k shapes (grouped when g > 0) for one geometry, checked in all three directions on 1 and 2 threads. */
    static void check(int g, int n, int c, int h, int w, int o, int kh, int kw, int[] stride, int[] pad) {
        Conv2d conv = new Conv2d(Math.max(g, 1), n, c, h, w, o, kh, kw, stride[0], stride[1], pad[0], pad[1], pad[2], pad[3]);
        int[] xs = g > 0 ? new int[] {g, n, c, h, w} : new int[] {n, c, h, w};
        int[] ks = g > 0 ? new int[] {g, o, c, kh, kw} : new int[] {o, c, kh, kw};
        int[] ys = g > 0 ? new int[] {g, n, o, conv.outHeight, conv.outWidth} : new int[] {n, o, conv.outHeight, conv.outWidth};
        String what = Arrays.toString(xs) + "⋆" + Arrays.toString(ks) + " s" + Arrays.toString(stride) + " p" + Arrays.toString(pad);
        float[] x = random(conv.inputSize(), 1 + n), k = random(conv.kernelSize(), 2 + o), dy = random(conv.outputSize(), 3 + c);
        double[] y = Oracle.run(new Op.Conv2d(stride, pad), new int[][] {xs, ks}, x, k);
        double[] dx = Oracle.run(new Op.Conv2dGradInput(stride, pad, shape(xs)), new int[][] {ys, ks}, dy, k);
        double[] dk = Oracle.run(new Op.Conv2dGradKernel(stride, pad, shape(ks)), new int[][] {xs, ys}, x, dy);
        for (Parallel par : new Parallel[] {null, par2}) {
            int threads = par == null ? 1 : par.threads();
            float[] scratch = new float[conv.scratchSize(threads)];
            // Offsets and stale contents check that only the requested ranges are read and written.
            float[] gy = random(conv.outputSize() + 5, 9), gdx = random(conv.inputSize() + 3, 10), gdk = random(conv.kernelSize() + 4, 11);
            float[] xo = pad(x, 2), ko = pad(k, 3), dyo = pad(dy, 1);
            conv.forward(par, xo, 2, ko, 3, gy, 5, scratch);
            assertClose(what + " forward, threads " + threads, y, gy, 5, TOL);
            conv.backwardData(par, dyo, 1, ko, 3, gdx, 3, scratch);
            assertClose(what + " backward data, threads " + threads, dx, gdx, 3, TOL);
            conv.backwardKernel(par, xo, 2, dyo, 1, gdk, 4, scratch);
            assertClose(what + " backward kernel, threads " + threads, dk, gdk, 4, TOL);
        }
    }

    static Shape shape(int[] s) {
        long[] d = new long[s.length];
        for (int i = 0; i < s.length; i++) d[i] = s[i];
        return Shape.of(d);
    }

    static float[] pad(float[] a, int before) {
        float[] r = new float[a.length + before + 2];
        Arrays.fill(r, Float.NaN);
        System.arraycopy(a, 0, r, before, a.length);
        return r;
    }

    @Test
    void oddSizesStridesAndAsymmetricPadding() {
        check(0, 3, 2, 7, 9, 5, 3, 2, new int[] {2, 1}, new int[] {1, 0, 2, 1});
        check(0, 2, 3, 5, 5, 7, 1, 1, new int[] {1, 1}, new int[] {0, 0, 0, 0});
        check(0, 1, 1, 6, 4, 1, 3, 3, new int[] {1, 2}, new int[] {0, 2, 1, 0});
        check(0, 5, 4, 11, 10, 16, 3, 3, new int[] {2, 2}, new int[] {1, 1, 1, 1});
        check(0, 2, 2, 4, 4, 33, 4, 4, new int[] {1, 1}, new int[] {0, 0, 0, 0});
    }

    @Test
    void modelShapes() {
        // multitask_mnist (batch trimmed): 1→16 3×3 s2 on 28×28, 16→32 s2 on 13×13, 32→64 s2 on 6×6.
        check(0, 3, 1, 28, 28, 16, 3, 3, new int[] {2, 2}, new int[] {0, 0, 0, 0});
        check(0, 3, 16, 13, 13, 32, 3, 3, new int[] {2, 2}, new int[] {0, 0, 0, 0});
        check(0, 3, 32, 6, 6, 64, 3, 3, new int[] {2, 2}, new int[] {0, 0, 0, 0});
        // deutsch_generative: 5×5 SAME, grouped by noise sample.
        check(3, 2, 1, 12, 12, 8, 5, 5, new int[] {1, 1}, new int[] {2, 2, 2, 2});
    }

    @Test
    void grouped() {
        check(2, 3, 3, 6, 7, 4, 3, 2, new int[] {2, 1}, new int[] {1, 0, 0, 1});
        check(5, 1, 2, 5, 5, 16, 3, 3, new int[] {1, 1}, new int[] {1, 1, 1, 1});
    }

    @Test
    void deterministicAcrossRunsAndThreadCountsWhereDocumented() {
        Conv2d conv = Conv2d.plain(7, 3, 13, 13, 16, 3, 3, 2, 2, 1, 0, 0, 1);
        float[] x = random(conv.inputSize(), 1), k = random(conv.kernelSize(), 2), dy = random(conv.outputSize(), 3);
        float[] s2 = new float[conv.scratchSize(2)], s1 = new float[conv.scratchSize(1)];
        float[] y1 = new float[conv.outputSize()], y2 = new float[conv.outputSize()], y3 = new float[conv.outputSize()];
        conv.forward(par2, x, 0, k, 0, y1, 0, s2);
        conv.forward(par2, x, 0, k, 0, y2, 0, s2);
        conv.forward(null, x, 0, k, 0, y3, 0, s1);
        assertArrayEquals(y1, y2);
        assertArrayEquals(y1, y3); // forward does not depend on the thread count
        float[] d1 = new float[conv.inputSize()], d2 = new float[conv.inputSize()];
        conv.backwardData(par2, dy, 0, k, 0, d1, 0, s2);
        conv.backwardData(null, dy, 0, k, 0, d2, 0, s1);
        assertArrayEquals(d1, d2);
        float[] k1 = new float[conv.kernelSize()], k2 = new float[conv.kernelSize()];
        conv.backwardKernel(par2, x, 0, dy, 0, k1, 0, s2);
        conv.backwardKernel(par2, x, 0, dy, 0, k2, 0, s2);
        assertArrayEquals(k1, k2); // same thread count: bitwise the same
    }

    @Test
    void theIm2rowAlternativeAgrees() {
        // ConvIm2row is kept for ConvBench's comparison; it must compute the same thing.
        for (Conv2d conv : new Conv2d[] {Conv2d.plain(3, 2, 7, 9, 5, 3, 2, 2, 1, 1, 0, 2, 1),
                new Conv2d(2, 3, 3, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1)}) {
            ConvIm2row alt = new ConvIm2row(conv);
            float[] x = random(conv.inputSize(), 1), k = random(conv.kernelSize(), 2), dy = random(conv.outputSize(), 3);
            float[] s1 = new float[conv.scratchSize(2)], s2 = new float[alt.scratchSize(2)];
            float[] a = new float[conv.outputSize()], b = new float[conv.outputSize()];
            conv.forward(par2, x, 0, k, 0, a, 0, s1);
            alt.forward(par2, x, 0, k, 0, b, 0, s2);
            assertClose("forward", toDouble(a), b, TOL);
            float[] da = new float[conv.inputSize()], db = new float[conv.inputSize()];
            conv.backwardData(par2, dy, 0, k, 0, da, 0, s1);
            alt.backwardData(par2, dy, 0, k, 0, db, 0, s2);
            assertClose("backward data", toDouble(da), db, TOL);
            float[] ka = new float[conv.kernelSize()], kb = new float[conv.kernelSize()];
            conv.backwardKernel(par2, x, 0, dy, 0, ka, 0, s1);
            alt.backwardKernel(par2, x, 0, dy, 0, kb, 0, s2);
            assertClose("backward kernel", toDouble(ka), kb, TOL);
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void scratchTooSmallIsRefused() {
        Conv2d conv = Conv2d.plain(2, 1, 5, 5, 2, 3, 3, 1, 1, 0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> conv.forward(par2, new float[conv.inputSize()], 0,
                new float[conv.kernelSize()], 0, new float[conv.outputSize()], 0, new float[conv.scratchSize(1)]));
    }
}
