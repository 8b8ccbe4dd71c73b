package dev.hyperc.runtime.cpu.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GEMM throughput microbenchmark: GFLOP/s (2·M·N·K per product) for the sizes of issue 4's targets.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes dev.hyperc.runtime.cpu.kernels.GemmBench [threads] [quick|edifice]
 * </pre>
 *
 * Each case is warmed up for at least 2 s, then timed in 7 runs of at least 0.25 s each; the median run is
 * printed. Operands are filled once, outside the timing; nothing is allocated inside it. A second figure divides
 * by the process's CPU time per thread instead of wall time: on a machine shared with other jobs it estimates
 * what the threads reach while they are actually running (spinning waits included, so it is not flattering).
 *
 * <p>Measured on this machine (AMD EPYC Zen 4, 2 cores, AVX-512; JDK 25; 2 threads; load average ~2 with this run
 * included), GFLOP/s, this class vs numpy 2.x + OpenBLAS 0.3.31 ({@code np.matmul} on float32, 2 threads,
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset) run right after it; ranges over three runs of this class and two of
 * numpy (the machine is shared, so a run varies by ±10 %):
 * <pre>
 *   512³                     154–198  vs 191       80–103 %
 *   1024³                    171–193  vs 183–190   90–106 %
 *   2048³                    173–196  vs 193–199   89–101 %
 *   1024³ Aᵀ·B               163–179  vs 189–192   85–95 %
 *   1024³ A·Bᵀ               165–181  vs 184–187   88–98 %
 *   64×784×128               127–144  vs 51–152    (OpenBLAS threading is erratic at this size)
 *   batched 64×(1×784×128)    16–21   vs 4.4–4.9   3.5–4.5×  (GEMV path; memory-bound)
 *   batched 32×(32×784×8)     29–34   vs 47–74     ~45–65 %  (N = 8 fills half a 16-lane vector)
 * </pre>
 */
public final class GemmBench {
    private GemmBench() {}

    private interface Body {
        void run();
    }

    private static int threads;

    public static void main(String[] args) {
        threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        boolean quick = args.length > 1 && args[1].equals("quick");
        boolean edifice = args.length > 1 && args[1].equals("edifice");
        StringBuilder blocks = new StringBuilder();
        for (Gemm.Block b : Gemm.Block.values()) {
            if (b == Gemm.Block.WIDER && !GemmMicroKernel.HAS_WIDER) continue;
            blocks.append(blocks.isEmpty() ? "" : ", ").append(b.mr).append('×').append(b.nr);
        }
        System.out.printf(Locale.ROOT, "GemmBench: threads=%d, vector species %s, KC=%d MC=%d NC=%d, register blocks MR×NR %s (1024 columns: %s), load average %s%n",
                threads, GemmMicroKernel.S, Gemm.KC, Gemm.MC, Gemm.NC, blocks, Gemm.Block.of(1024), loadAverage());
        try (Parallel par = new Parallel(threads)) {
            if (edifice) { // the generator head's three products in edifice_mlp: h·W, hᵀ·dY, dY·Wᵀ
                strided(par, "edifice h·W 64×256×100480", 64, 100480, 256, 256, 1, 100480, 1);
                strided(par, "edifice hᵀ·dY 256×64×100480", 256, 100480, 64, 1, 256, 100480, 1);
                strided(par, "edifice dY·Wᵀ 64×100480×256", 64, 256, 100480, 100480, 1, 1, 100480);
                contracted(par);
                return;
            }
            for (int s : quick ? new int[] {1024} : new int[] {512, 1024, 2048}) square(par, s, false, false);
            if (!quick) {
                square(par, 1024, true, false);
                square(par, 1024, false, true);
            }
            plain(par, 64, 784, 128);
            batched(par, 64, 1, 784, 128);
            // deutsch_generative's per-noise-sample dense layer: [S=32, B=32, 784] · [S, 784, 8].
            if (!quick) batched(par, 32, 32, 784, 8);
        }
        System.out.printf(Locale.ROOT, "load average after: %s%n", loadAverage());
    }

    /**
     * The 1-, 5- and 15-minute load averages: on a shared 2-core machine other processes' load halves the
     * throughput of a 2-thread run, so every report says how busy the machine was.
     */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void square(Parallel par, int s, boolean transA, boolean transB) {
        float[] a = fill(s * s, 1), b = fill(s * s, 2), c = new float[s * s];
        String name = String.format(Locale.ROOT, "%d³%s", s, transA ? " (Aᵀ·B)" : transB ? " (A·Bᵀ)" : "");
        report(name, 2.0 * s * s * s, () -> Gemm.gemm(par, s, s, s, 1f,
                a, 0, transA ? 1 : s, transA ? s : 1, b, 0, transB ? 1 : s, transB ? s : 1, false, c, 0, s));
    }

    private static void plain(Parallel par, int m, int k, int n) {
        float[] a = fill(m * k, 3), b = fill(k * n, 4), c = new float[m * n];
        report(m + "×" + k + "×" + n, 2.0 * m * n * k, () -> Gemm.gemm(par, m, n, k, 1f, a, 0, k, 1, b, 0, n, 1, false, c, 0, n));
    }

    /** C[m, n] = A[m, k] · B[k, n] with the operands' (row, column) strides given: transposes without copies. */
    private static void strided(Parallel par, String name, int m, int n, int k, int aRs, int aCs, int bRs, int bCs) {
        float[] a = fill(m * k, 7), b = fill(k * n, 8), c = new float[m * n];
        report(name, 2.0 * m * n * k, () -> Gemm.gemm(par, m, n, k, 1f, a, 0, aRs, aCs, b, 0, bRs, bCs, false, c, 0, n));
    }

    private static void batched(Parallel par, int g, int m, int k, int n) {
        float[] a = fill(g * m * k, 5), b = fill(g * k * n, 6), c = new float[g * m * n];
        report("batched " + g + "×(" + m + "×" + k + "×" + n + ")", 2.0 * g * m * n * k, () -> Gemm.batched(par, g, m, n, k, 1f,
                a, 0, m * k, k, 1, b, 0, k * n, n, 1, false, c, 0, m * n, n));
    }

    /**
     * The two products that replace those three when the generated weights are contracted through the head
     * (GeneratedWeightContraction): P_c = x · G_c forward and dG_c = xᵀ · dP_c backward, for 256 blocks G_c of
     * 784 × 128 that lie 100,480 floats apart in the head's weight, x [64, 784] shared by all of them.
     */
    private static void contracted(Parallel par) {
        int c = 256, b = 64, in = 784, out = 128, row = 100480;
        float[] x = fill(b * in, 9), g = fill(c * row, 10), p = fill(b * c * out, 11), dg = new float[c * row];
        report("contracted x·G_c 256×(64×784×128)", 2.0 * c * b * in * out, () -> Gemm.batched(par, c, b, out, in, 1f,
                x, 0, 0, in, 1, g, 0, row, out, 1, false, p, 0, b * out, out));
        // dP is read as the transpose of [B, C, J]: row b of block c at b·C·J + c·J.
        report("contracted xᵀ·dP_c 256×(784×64×128)", 2.0 * c * b * in * out, () -> Gemm.batched(par, c, in, out, b, 1f,
                x, 0, 0, 1, in, p, 0, out, c * out, 1, false, dg, 0, row, out));
    }

    static float[] fill(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    private static void report(String name, double flops, Body body) {
        // At least 2 s and 20 calls: on a busy machine the JIT needs that long to finish compiling the kernels, and
        // Vector API code that is not yet C2-compiled runs ~50× slower.
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < 20 || System.nanoTime() < warmEnd; i++) body.run();
        double[] gflops = new double[7], cpuGflops = new double[7];
        for (int r = 0; r < gflops.length; r++) {
            long t0 = System.nanoTime(), c0 = cpuNanos(), t;
            int iters = 0;
            do {
                body.run();
                iters++;
                t = System.nanoTime();
            } while (t - t0 < 250_000_000L);
            gflops[r] = flops * iters / (t - t0);
            cpuGflops[r] = flops * iters / ((double) (cpuNanos() - c0) / threads);
        }
        Arrays.sort(gflops);
        Arrays.sort(cpuGflops);
        System.out.printf(Locale.ROOT, "%-28s %7.1f GFLOP/s  (median of 7; min %.1f, max %.1f)   per CPU-time: %.1f%n",
                name, gflops[3], gflops[0], gflops[6], cpuGflops[3]);
    }

    /** CPU time of the whole process: with the load of other jobs, flops / (CPU time / threads) is what the threads did while running. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
