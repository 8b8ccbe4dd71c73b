package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = alpha · A · Bᵀ (+ C) by dot products along K, for products whose K dwarfs M and N and whose operands are both
 * contiguous along K: A row-major (element (i, p) at {@code a[aOff + i·aRs + p]}) and B read as its transpose
 * (element (p, j) at {@code b[bOff + j·bCs + p]}). The weight gradient of a wide layer has this form, e.g.
 * edifice_mlp's dY·Wᵀ, 64 × 256 over K = 100,480.
 *
 * <p>Why not the blocked kernel: it would pack B transposed, K × N elements gathered across rows 400 KB apart,
 * and every packed element is used only M / MR times. Here nothing is packed: a K chunk of A ({@link #KD} wide,
 * M · 4 KiB, which stays in L2) meets four rows of B at a time, read once from memory front to back. The register
 * block is 2 rows of A × 4 rows of B, 8 vector accumulators, each summing its lanes' products along K.
 *
 * <p>Determinism: each output's sum is fixed by K and the vector size alone: per lane an FMA chain along K (in
 * chunks whose lane partial sums are added in order), then the lanes summed in lane order, then the scalar tail
 * ({@code K mod VL} elements) as an FMA chain. Edge blocks run the same chain one output at a time, and threads
 * split the columns, so neither the block an output falls in nor the thread count changes a bit.
 *
 * <p>Measured in edifice_mlp's step on an AMD EPYC Zen 3 (AVX2, 2 threads): dY·Wᵀ 65.6–65.8 ms with the blocked
 * kernel, 50.2–51.6 ms here (the whole step 225–236 -> 204–211 ms). KD = 512, 1024 and 2048 were within the
 * machine's noise at M = 64. With 32 vector registers the blocked kernel's 6 × 2 block is the faster one: on an
 * Intel Xeon with AVX-512 (2 threads, GemmBench {@code edifice}, four alternating runs) dY·Wᵀ ran at 106–108
 * GFLOP/s here and 115–121 blocked, so by default this path is taken only on machines with 16 registers
 * ({@link #PREFERRED}). The system properties {@code hyperc.gemm.dot} ({@code true}/{@code false}),
 * {@code hyperc.gemm.dot.kd} and {@code hyperc.gemm.dot.mink} override that choice, KD and {@link #MIN_K}.
 */
final class DotGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /**
     * K per chunk: A's chunk (M × KD floats) must stay in L2 while four rows of B stream past it. A whole number of
     * vectors, since the kernels step through a chunk a vector at a time.
     */
    static final int KD = Gemm.roundUp(Math.max(VL, Integer.getInteger("hyperc.gemm.dot.kd", 1024)), VL);
    /** Below this K the blocked kernel's packing is cheap enough. */
    static final int MIN_K = Integer.getInteger("hyperc.gemm.dot.mink", 4096);
    /** Rows of A at most: A's K chunk, M × KD floats, must stay in L2 (512 KiB at M = 128). */
    static final int MAX_M = 128;
    /** Columns per pass over K, which bounds the lane partial sums to MAX_M × JB × VL floats per thread. */
    static final int JB = 512;

    /** Whether products that fit go here rather than to the blocked kernel: where that kernel has only 16 registers. */
    static final boolean PREFERRED = Boolean.parseBoolean(
            System.getProperty("hyperc.gemm.dot", String.valueOf(!GemmMicroKernel.REGISTERS_32)));

    private DotGemm() {}

    /** Whether the product should run here: this machine prefers it, and the shape fits. */
    static boolean applies(int m, int n, int k, int aCs, int bRs) {
        return PREFERRED && shapeFits(m, n, k, aCs, bRs);
    }

    /** Both operands contiguous along a K much longer than M and N, M small. */
    static boolean shapeFits(int m, int n, int k, int aCs, int bRs) {
        return aCs == 1 && bRs == 1 && m <= MAX_M && k >= MIN_K && k >= 16L * (m + n);
    }

    /** Per-thread lane partial sums, grown (rarely) to the largest M × columns × VL seen (at most MAX_M × JB × VL). */
    private static final ThreadLocal<float[][]> PARTIAL = ThreadLocal.withInitial(() -> new float[1][0]);

    static void gemm(Parallel par, int m, int n, int k, float alpha, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                     boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
        int quads = (n + 3) / 4;
        if (par == null || par.threads() == 1 || quads < 2) {
            columns(m, 0, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            return;
        }
        try (Task t = TASKS.acquire()) {
            t.set(m, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            par.forChunks(quads, t);
        }
    }

    /** Columns [j0, j1) of C, every row, on the calling thread, in passes of at most {@link #JB} columns. */
    static void columns(int m, int j0, int j1, int k, float alpha, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                        boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
        for (int jb = j0; jb < j1; jb += JB) {
            block(m, jb, Math.min(j1, jb + JB), k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
        }
    }

    private static void block(int m, int j0, int j1, int k, float alpha, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                              boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
        int cols = j1 - j0, kv = k - k % VL;
        float[][] holder = PARTIAL.get();
        if (holder[0].length < m * cols * VL) holder[0] = new float[m * cols * VL];
        float[] part = holder[0];
        for (int k0 = 0; k0 < kv; k0 += KD) {
            int k1 = Math.min(kv, k0 + KD);
            boolean first = k0 == 0;
            for (int j = j0; j < j1; j += 4) {
                int w = Math.min(4, j1 - j);
                for (int i = 0; i < m; i += 2) {
                    int h = Math.min(2, m - i);
                    if (h == 2 && w == 4) {
                        block2x4(a, aOff + i * aRs, aRs, b, bOff + j * bCs, bCs, k0, k1, part, (i * cols + j - j0) * VL, cols * VL, first);
                    } else {
                        for (int ii = i; ii < i + h; ii++) {
                            for (int jj = j; jj < j + w; jj++) {
                                block1x1(a, aOff + ii * aRs, b, bOff + jj * bCs, k0, k1, part, (ii * cols + jj - j0) * VL, first);
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = j0; j < j1; j++) {
                int po = (i * cols + j - j0) * VL;
                float s = 0f;
                if (kv > 0) for (int l = 0; l < VL; l++) s += part[po + l];
                int ai = aOff + i * aRs, bj = bOff + j * bCs;
                for (int p = kv; p < k; p++) s = Math.fma(a[ai + p], b[bj + p], s);
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? Math.fma(s, alpha, c[ci]) : s * alpha;
            }
        }
        if (epi != null) epi.apply(0, m, j0, j1);
    }

    /**
     * Lane partial sums of rows a0, a0 + lda of A against rows b0 + q·ldb (q < 4) of B over [k0, k1), stored to (or,
     * after the first chunk, added to) part: row r's four outputs at po + r·rowStride + q·VL.
     */
    private static void block2x4(float[] a, int a0, int lda, float[] b, int b0, int ldb, int k0, int k1, float[] part, int po,
                                 int rowStride, boolean first) {
        int a1 = a0 + lda, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int p = k0; p < k1; p += VL) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p), x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector y0 = FloatVector.fromArray(S, b, b0 + p);
            c00 = x0.fma(y0, c00); c10 = x1.fma(y0, c10);
            FloatVector y1 = FloatVector.fromArray(S, b, b1 + p);
            c01 = x0.fma(y1, c01); c11 = x1.fma(y1, c11);
            FloatVector y2 = FloatVector.fromArray(S, b, b2 + p);
            c02 = x0.fma(y2, c02); c12 = x1.fma(y2, c12);
            FloatVector y3 = FloatVector.fromArray(S, b, b3 + p);
            c03 = x0.fma(y3, c03); c13 = x1.fma(y3, c13);
        }
        int p0 = po, p1 = po + rowStride;
        put(c00, part, p0, first); put(c01, part, p0 + VL, first); put(c02, part, p0 + 2 * VL, first); put(c03, part, p0 + 3 * VL, first);
        put(c10, part, p1, first); put(c11, part, p1 + VL, first); put(c12, part, p1 + 2 * VL, first); put(c13, part, p1 + 3 * VL, first);
    }

    /** One output's lane partial sums over [k0, k1): the same per-lane FMA chain as {@link #block2x4}. */
    private static void block1x1(float[] a, int a0, float[] b, int b0, int k0, int k1, float[] part, int po, boolean first) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = k0; p < k1; p += VL) acc = FloatVector.fromArray(S, a, a0 + p).fma(FloatVector.fromArray(S, b, b0 + p), acc);
        put(acc, part, po, first);
    }

    private static void put(FloatVector v, float[] part, int o, boolean first) {
        (first ? v : v.add(FloatVector.fromArray(S, part, o))).intoArray(part, o);
    }

    private static final Reusable<Task> TASKS = new Reusable<>(Task::new);

    /** The parallel loop over quads of columns, reused per thread so that a call allocates nothing. */
    private static final class Task extends Reusable.Args implements Parallel.ChunkBody {
        boolean accumulate;
        int m, n, k, aOff, aRs, bOff, bCs, cOff, ldc;
        float alpha;
        float[] a, b, c;
        Gemm.Epilogue epi;

        @Override
        void clear() {
            a = b = c = null;
            epi = null;
        }

        void set(int m, int n, int k, float alpha, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs, boolean accumulate,
                 float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
            this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.aOff = aOff; this.aRs = aRs; this.b = b; this.bOff = bOff; this.bCs = bCs;
            this.accumulate = accumulate; this.c = c; this.cOff = cOff; this.ldc = ldc; this.epi = epi;
        }

        @Override
        public void run(int chunk, int start, int end) {
            columns(m, start * 4, Math.min(end * 4, n), k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
        }
    }
}
