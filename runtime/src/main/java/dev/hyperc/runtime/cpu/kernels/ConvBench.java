package dev.hyperc.runtime.cpu.kernels;

import java.util.Arrays;
import java.util.Locale;

/**
 * Times {@link Conv2d} (direct, implicit GEMM) against {@link ConvIm2row} (im2row + GEMM) on the models' conv
 * layers, forward and both backward passes: median µs per batch over 7 runs of ≥ 0.2 s each.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes dev.hyperc.runtime.cpu.kernels.ConvBench [threads]
 * </pre>
 */
public final class ConvBench {
    private ConvBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        System.out.printf(Locale.ROOT, "ConvBench: threads=%d, load average %s%n", threads, GemmBench.loadAverage());
        System.out.printf(Locale.ROOT, "%-36s %-22s %-22s %-22s%n", "layer (batch, C→O, k, stride, H×W)",
                "forward direct/im2row", "bwd data direct/im2row", "bwd kernel direct/im2row");
        try (Parallel par = new Parallel(threads)) {
            layer(par, "multitask conv1 32,1→16,3,s2,28", Conv2d.plain(32, 1, 28, 28, 16, 3, 3, 2, 2, 0, 0, 0, 0));
            layer(par, "multitask conv2 32,16→32,3,s2,13", Conv2d.plain(32, 16, 13, 13, 32, 3, 3, 2, 2, 0, 0, 0, 0));
            layer(par, "multitask conv3 32,32→64,3,s2,6", Conv2d.plain(32, 32, 6, 6, 64, 3, 3, 2, 2, 0, 0, 0, 0));
            layer(par, "deutsch conv1 32,1→32,5,same,28", Conv2d.plain(32, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2, 2, 2));
            layer(par, "deutsch conv2 32,32→16,5,same,14", Conv2d.plain(32, 32, 14, 14, 16, 5, 5, 1, 1, 2, 2, 2, 2));
            layer(par, "ha_static conv2 64,16→16,3,same,28", Conv2d.plain(64, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1));
        }
        System.out.printf(Locale.ROOT, "load average after: %s%n", GemmBench.loadAverage());
    }

    private static void layer(Parallel par, String name, Conv2d conv) {
        ConvIm2row im2row = new ConvIm2row(conv);
        float[] x = GemmBench.fill(conv.inputSize(), 1), k = GemmBench.fill(conv.kernelSize(), 2), dy = GemmBench.fill(conv.outputSize(), 3);
        float[] y1 = new float[conv.outputSize()], y2 = new float[conv.outputSize()];
        float[] dx1 = new float[conv.inputSize()], dx2 = new float[conv.inputSize()], dk1 = new float[conv.kernelSize()], dk2 = new float[conv.kernelSize()];
        float[] s1 = new float[conv.scratchSize(par.threads())], s2 = new float[im2row.scratchSize(par.threads())];
        conv.forward(par, x, 0, k, 0, y1, 0, s1);
        im2row.forward(par, x, 0, k, 0, y2, 0, s2);
        conv.backwardData(par, dy, 0, k, 0, dx1, 0, s1);
        im2row.backwardData(par, dy, 0, k, 0, dx2, 0, s2);
        conv.backwardKernel(par, x, 0, dy, 0, dk1, 0, s1);
        im2row.backwardKernel(par, x, 0, dy, 0, dk2, 0, s2);
        agree(name + " forward", y1, y2);
        agree(name + " backward data", dx1, dx2);
        agree(name + " backward kernel", dk1, dk2);
        double[] t = {
            time(() -> conv.forward(par, x, 0, k, 0, y1, 0, s1)), time(() -> im2row.forward(par, x, 0, k, 0, y2, 0, s2)),
            time(() -> conv.backwardData(par, dy, 0, k, 0, dx1, 0, s1)), time(() -> im2row.backwardData(par, dy, 0, k, 0, dx2, 0, s2)),
            time(() -> conv.backwardKernel(par, x, 0, dy, 0, dk1, 0, s1)), time(() -> im2row.backwardKernel(par, x, 0, dy, 0, dk2, 0, s2)),
        };
        double gflop = 2.0 * conv.outputSize() * conv.patch / 1e3; // flops per µs = GFLOP/s
        System.out.printf(Locale.ROOT, "%-36s %8.0f / %-8.0f µs %8.0f / %-8.0f µs %8.0f / %-8.0f µs   (direct fwd %.1f GFLOP/s)%n",
                name, t[0], t[1], t[2], t[3], t[4], t[5], gflop / t[0]);
    }

    private static void agree(String what, float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        if (diff > 1e-4 * (1 + scale)) throw new AssertionError(what + ": direct and im2row disagree by " + diff);
    }

    private static double time(Runnable r) {
        long warm = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warm) r.run();
        double[] us = new double[7];
        for (int i = 0; i < us.length; i++) {
            long t0 = System.nanoTime(), t;
            int n = 0;
            do {
                r.run();
                n++;
                t = System.nanoTime();
            } while (t - t0 < 200_000_000L);
            us[i] = (t - t0) / 1e3 / n;
        }
        Arrays.sort(us);
        return us[3];
    }
}
