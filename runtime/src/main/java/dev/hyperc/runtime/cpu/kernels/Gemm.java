package dev.hyperc.runtime.cpu.kernels;

import static dev.hyperc.runtime.cpu.kernels.GemmMicroKernel.MR;
import static dev.hyperc.runtime.cpu.kernels.GemmMicroKernel.MR_NARROW;
import static dev.hyperc.runtime.cpu.kernels.GemmMicroKernel.NR;
import static dev.hyperc.runtime.cpu.kernels.GemmMicroKernel.NR_NARROW;
import static dev.hyperc.runtime.cpu.kernels.GemmMicroKernel.NR_WIDER;

/**
 * Single-precision matrix multiply C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] (+ C), BLIS-style.
 *
 * <p><b>Operands.</b> A and B are strided views {@code (array, offset, rowStride, colStride)}: element (i, p) of A
 * is {@code a[aOff + i·aRs + p·aCs]}, so a transposed operand is the same array with the strides swapped and
 * needs no copy. C is row-major with leading dimension {@code ldc} (unit column stride, so the micro-kernel can
 * store whole vectors).
 *
 * <p><b>Algorithm.</b> The classic five-loop blocking: a KC × NC slab of B is packed into NR-wide column panels,
 * an MC × KC block of A into MR-tall row panels (packing absorbs any strides or transpose and zero-pads edges),
 * then {@link GemmMicroKernel} multiplies one A panel by one B panel with an MR × NR block of C in registers
 * (6 × 32, 12 × 16 when N is narrow, 6 × 64 when N is wide and there are 32 vector registers: see {@link Block};
 * with AVX2's 8-float vectors and 16 registers, 4 × 16 and 12 × 8).
 * Edge tiles are computed into a small tile and added to C with the same rounding as a full tile
 * ({@code fma(acc, alpha, c)}), so an element's value never depends on which tile or thread produced it.
 *
 * <p><b>Threads.</b> The output is split into contiguous column or row ranges in whole tiles, one per thread
 * (whichever duplicates less packing: see {@link #splitRows}); each thread packs what it needs into its own
 * thread-local scratch, which is allocated once per thread at fixed size. The reduction over K happens inside one thread in a fixed order, so
 * the result is bitwise independent of the thread count. M = 1 and N = 1 go to {@link Gemv}, which reads the
 * operands in place (packing a matrix that is used once would double the memory traffic). A long-K product with a
 * transposed B goes to {@link DotGemm}, which reads both operands along K in place, where the machine has 16 vector
 * registers; any other A·Bᵀ whose B is much wider than A is tall goes to {@link SwappedGemm}, which reads B in place.
 *
 * <p><b>Blocking</b> (measured on this machine, AMD EPYC Zen 4: 32 KiB L1d and 1 MiB L2 per core, 32 MiB L3; single
 * thread, GFLOP per CPU-second because the machine was shared): KC = 512, MC = 72, NC = 1024. At 1024³ KC = 192,
 * 256, 384, 512, 768 gave 85, 88, 95, 99, 99 (fewer passes over C; the B micro-panel streams from L2 fine);
 * MC = 48–288 was flat within noise; at 2048³ NC = 1024 beat 2048 and 4096 (97 vs 94 and 90). The packed A block
 * (144 KiB) stays in L2, the B slab (2 MiB per thread) in L3. Override with the system properties
 * {@code hyperc.gemm.kc/mc/nc} to retune.
 */
public final class Gemm {
    static final int KC = Integer.getInteger("hyperc.gemm.kc", 512);
    static final int MC = roundUp(Integer.getInteger("hyperc.gemm.mc", 72), MR_NARROW);
    static final int NC = roundUp(Integer.getInteger("hyperc.gemm.nc", 1024), NR);

    /** Whether {@link SwappedGemm} takes the products it fits (the property {@code hyperc.gemm.swap=false} turns it off). */
    static final boolean SWAP = Boolean.parseBoolean(System.getProperty("hyperc.gemm.swap", "true"));

    /** Below this many flops a product runs on the caller only: waking the pool costs a few microseconds. */
    static final long PARALLEL_MIN_FLOPS = 1L << 18;
    /** In a batch, products below this many flops are distributed whole over the threads. */
    static final long BATCH_SPLIT_FLOPS = 1L << 24;

    private Gemm() {}

    /** Per-thread packing buffers, sized once from the block sizes: no allocation per call. */
    static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[Math.max(GemmMicroKernel.MR_WIDER * NR_WIDER, MR_NARROW * NR_NARROW)];
        final int[] gather = new int[GemmMicroKernel.VL];
        final int[] gatherA = new int[4 * GemmMicroKernel.VL];
        final int[] rows = new int[MR_NARROW];
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The largest shared A that {@link #batched} lays out row-major once (4 MiB). */
    static final int SHARED_A_MAX = 1 << 20;

    private static final ThreadLocal<float[][]> SHARED_A = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /** The calling thread's buffer for a shared A of {@code n} floats, grown (never shrunk) as needed. */
    private static float[] sharedA(int n) {
        float[][] holder = SHARED_A.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /**
     * Work on a block of C once the product there is final: rows [i0, i1) and columns [j0, j1) of C. Called by the
     * thread that computed the block, right after its last K panel, so the block is still in cache.
     */
    @FunctionalInterface
    public interface Epilogue {
        void apply(int i0, int i1, int j0, int j1);
    }

    /**
     * C = alpha · op(A) · op(B), or C += alpha · op(A) · op(B) when {@code accumulate}.
     *
     * @param par the pool to run on, or {@code null} to run on the calling thread only
     */
    public static void gemm(Parallel par, int m, int n, int k, float alpha,
                            float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs,
                            boolean accumulate, float[] c, int cOff, int ldc) {
        gemm(par, m, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc, null);
    }

    /** As above, then {@code epi} (may be null) on every block of C as it is finished. */
    public static void gemm(Parallel par, int m, int n, int k, float alpha,
                            float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs,
                            boolean accumulate, float[] c, int cOff, int ldc, Epilogue epi) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative GEMM size " + m + "×" + n + "×" + k);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            if (epi != null) epi.apply(0, m, 0, n);
            return;
        }
        if (m == 1) {
            Gemv.vecMat(par, n, k, alpha, a, aOff, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, 1);
            if (epi != null) epi.apply(0, m, 0, n);
            return;
        }
        if (n == 1) { // C[:,0]ᵀ = B[:,0]ᵀ · Aᵀ
            Gemv.vecMat(par, m, k, alpha, b, bOff, bRs, a, aOff, aCs, aRs, accumulate, c, cOff, ldc);
            if (epi != null) epi.apply(0, m, 0, n);
            return;
        }
        if (DotGemm.applies(m, n, k, aCs, bRs)) { // a long-K A·Bᵀ: dot products, no transposing pack of B
            DotGemm.gemm(par, m, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            return;
        }
        if (SWAP && SwappedGemm.applies(m, n, aCs, bRs, bCs)) { // A·Bᵀ with a wide B: as Cᵀ = B·Aᵀ, B read in place
            SwappedGemm.gemm(par, m, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            return;
        }
        int threads = par == null ? 1 : par.threads();
        if (threads == 1 || 2L * m * n * k < PARALLEL_MIN_FLOPS) {
            blocked(Block.of(n), 0, m, 0, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc, epi);
            return;
        }
        try (Task t = TASKS.acquire()) {
            t.set(m, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc);
            t.epi = epi;
            Block block = Block.of(n);
            int mr = block.mr, nr = block.nr;
            int mt = (m + mr - 1) / mr, nt = (n + nr - 1) / nr;
            t.block = block;
            t.splitRows = splitRows(m, n, k, threads, mt, nt, aRs, bCs);
            par.forChunks(t.splitRows ? mt : nt, t);
        }
    }

    /**
     * {@code count} independent products C_g = alpha · op(A_g) · op(B_g) (+ C_g), where operand X_g starts at
     * {@code xOff + g · xStride}. A batch stride of 0 broadcasts that operand to every product. With
     * {@code cStride == 0} the products are summed into the one C (in order g = 0, 1, …).
     *
     * <p>Small products (the per-sample generated weights of a hypernetwork: 64 × (1×784·784×128)) are handed
     * out whole to the threads, each running the serial kernel (a GEMV for M = 1); large ones run one after
     * another, each using all threads. A broadcast B with contiguous A and C batches becomes one tall GEMM.
     */
    public static void batched(Parallel par, int count, int m, int n, int k, float alpha,
                               float[] a, int aOff, int aStride, int aRs, int aCs,
                               float[] b, int bOff, int bStride, int bRs, int bCs,
                               boolean accumulate, float[] c, int cOff, int cStride, int ldc) {
        if (count <= 0 || m == 0 || n == 0) return;
        if (count == 1) {
            gemm(par, m, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc);
            return;
        }
        if (bStride == 0 && cStride != 0 && aStride == m * aRs && cStride == m * ldc) {
            // [G, M, K] · [K, N] with A and C rows evenly spaced across the batch: one [G·M, K] · [K, N].
            gemm(par, count * m, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc);
            return;
        }
        if (aStride == 0 && aCs != 1 && directA(Block.of(n), n, k, 1) && (long) m * k <= SHARED_A_MAX) {
            // An A shared by every product but not readable in place (xᵀ in a contracted weight gradient, see
            // GeneratedWeightContraction) would be packed again for each product: lay it out row-major once.
            float[] rowMajor = sharedA(m * k);
            for (int p = 0; p < k; p++) for (int i = 0; i < m; i++) rowMajor[i * k + p] = a[aOff + i * aRs + p * aCs];
            a = rowMajor;
            aOff = 0;
            aRs = k;
            aCs = 1;
        }
        int threads = par == null ? 1 : par.threads();
        long flops = 2L * m * n * k;
        if (cStride == 0 || threads == 1 || flops >= BATCH_SPLIT_FLOPS || count < threads) {
            for (int g = 0; g < count; g++) {
                gemm(par, m, n, k, alpha, a, aOff + g * aStride, aRs, aCs, b, bOff + g * bStride, bRs, bCs,
                        accumulate || (cStride == 0 && g > 0), c, cOff + g * cStride, ldc);
            }
            return;
        }
        try (BatchTask t = BATCH_TASKS.acquire()) {
            t.set(m, n, k, alpha, a, aOff, aStride, aRs, aCs, b, bOff, bStride, bRs, bCs, accumulate, c, cOff, cStride, ldc);
            par.forChunks(count, t);
        }
    }

    /**
     * Whether to give each thread a range of rows (else of columns). A thread packs all of the operand that it
     * does not split, so the choice minimises the duplicated packing, weighting an element by how it is packed:
     * a row-major B panel is a vector copy (1), a column-major A panel a short contiguous copy (2), and a
     * transposing pack (row-major A, column-major B) a strided scalar scatter (4). Either way a thread must get
     * at least two tiles, or the split goes to the other dimension.
     */
    static boolean splitRows(long m, long n, long k, int threads, int mt, int nt, int aRs, int bCs) {
        if (mt < 2 * threads) return false;
        if (nt < 2 * threads) return true;
        long wa = aRs == 1 ? 2 : 4, wb = bCs == 1 ? 1 : 4;
        long byCols = wa * m * k + wb * k * n / threads, byRows = wb * k * n + wa * m * k / threads;
        return byRows < byCols;
    }

    // ------------------------------------------------------------------ the blocked serial product

    /**
     * Whether to use the 12 × 16 kernel: when it pads N to fewer columns than the 6 × 32 one, for N up to a few
     * panels (beyond that the padding is a small fraction either way and the wide kernel is faster).
     */
    static boolean narrow(int n) {
        return n <= 4 * NR && roundUp(n, NR_NARROW) < roundUp(n, NR);
    }

    /** The register block of a product, by its N. */
    enum Block {
        NARROW(MR_NARROW, NR_NARROW), WIDE(MR, NR), WIDER(GemmMicroKernel.MR_WIDER, NR_WIDER);

        final int mr, nr;

        Block(int mr, int nr) {
            this.mr = mr;
            this.nr = nr;
        }

        /**
         * Narrow as {@link #narrow} says; else the 6 × 4-vector block where the machine has it, unless it pads N by more
         * than a quarter beyond the 6 × 2 block (it is ~1.4× faster per flop: see {@link GemmMicroKernel}).
         */
        static Block of(int n) {
            if (narrow(n)) return NARROW;
            if (GemmMicroKernel.HAS_WIDER && 4L * roundUp(n, NR_WIDER) <= 5L * roundUp(n, NR)) return WIDER;
            return WIDE;
        }
    }

    /**
     * The product on the calling thread by the blocked algorithm alone (never the GEMV path), so that every element
     * is computed the same way whatever M, N or the caller's blocking of the problem: used by the convolutions.
     */
    static void serial(int m, int n, int k, float alpha, float[] a, int aOff, int aRs, int aCs,
                       float[] b, int bOff, int bRs, int bCs, boolean accumulate, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        blocked(Block.of(n), 0, m, 0, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc);
    }

    /** C[m0:m1, n0:n1] of the product, on the calling thread. */
    static void blocked(Block block, int m0, int m1, int n0, int n1, int k, float alpha,
                        float[] a, int aOff, int aRs, int aCs,
                        float[] b, int bOff, int bRs, int bCs,
                        boolean accumulate, float[] c, int cOff, int ldc) {
        blocked(block, m0, m1, n0, n1, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc, null);
    }

    static void blocked(Block block, int m0, int m1, int n0, int n1, int k, float alpha,
                        float[] a, int aOff, int aRs, int aCs,
                        float[] b, int bOff, int bRs, int bCs,
                        boolean accumulate, float[] c, int cOff, int ldc, Epilogue epi) {
        Scratch s = SCRATCH.get();
        int mr = block.mr, nr = block.nr;
        boolean direct = directA(block, n1 - n0, aRs, aCs);
        boolean directB = direct && directB(block, n1 - n0, bCs);
        // With an epilogue, C is finished in blocks of few, long rows (see epilogueColumns); else MC × NC.
        int ncMax = epi == null ? NC : epilogueColumns(k, nr), mcMax = epi == null ? MC : EPILOGUE_ROWS;
        // Nothing is packed when both operands are read in place, so K is split only to keep B's slab in L2.
        int kcMax = directB ? DIRECT_KC : KC;
        for (int jc = n0; jc < n1; jc += ncMax) {
            int nc = Math.min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                if (!directB) packB(s.b, b, bOff + pc * bRs + jc * bCs, bRs, bCs, kc, nc, nr, s.gather);
                boolean overwrite = pc == 0 && !accumulate;
                for (int ic = m0; ic < m1; ic += mcMax) {
                    int mc = Math.min(mcMax, m1 - ic);
                    if (direct) {
                        if (directB) {
                            macroKernelRows(block, s, kc, mc, nc, alpha, overwrite, a, aOff + ic * aRs + pc, aRs,
                                    b, bOff + pc * bRs + jc, bRs, c, cOff + ic * ldc + jc, ldc);
                        } else {
                            macroKernelRows(block, s, kc, mc, nc, alpha, overwrite, a, aOff + ic * aRs + pc, aRs,
                                    s.b, -1, nr, c, cOff + ic * ldc + jc, ldc);
                        }
                    } else {
                        packA(s.a, a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, mr, s.gatherA);
                        macroKernel(block, s, kc, mc, nc, alpha, overwrite, c, cOff + ic * ldc + jc, ldc);
                    }
                    if (epi != null && pc + kc >= k) epi.apply(ic, ic + mc, jc, jc + nc);
                }
            }
        }
    }

    /** Rows of a row-major B packed together (see {@link #packB}). */
    static final int PACK_ROWS = 4;

    /** Rows of C an epilogue gets at a time: a multiple of every register block's MR. */
    static final int EPILOGUE_ROWS = MR_NARROW;

    /**
     * Columns of C an epilogue gets at a time: as many as B's packing scratch holds at this K (at most {@value
     * #EPILOGUE_MAX_COLUMNS}), so that an epilogue streaming other arrays (an optimizer update reading and writing the
     * weights and both moments of a 26M-parameter head) walks few, long rows: the hardware prefetchers restart at each 4
     * KiB page, and 72-row blocks of 1,024 columns made every row of every array one such page. Measured on edifice_mlp's
     * hᵀ·dY + Adam (256 × 100,480, K = 64; AMD EPYC Zen 5, 2 threads): 72 × 1,024 blocks 21.9 ms, 12 × 8,192 or 16,384
     * 17.6–18.3 ms, the product alone 9.6–10.9. In the training step (ProfileMain, that product with its compiled Adam
     * epilogue, alternating runs) a cap of 16,384 columns gave 23.3–26.0 ms, 4,096 24.7–26.5, 2,048 26.3–28.8 and
     * 1,024 26.2–29.8, although at K = 64 the packed B slab (64 × 8,192) then outgrows L2.
     */
    static int epilogueColumns(int k, int nr) {
        long fit = (long) KC * NC / Math.max(1, Math.min(KC, k));
        return (int) Math.max(nr, Math.min(EPILOGUE_MAX_COLUMNS, fit) / nr * nr);
    }

    /** The most columns an epilogue block gets (see {@link #epilogueColumns}). */
    static final int EPILOGUE_MAX_COLUMNS = 16384;

    /**
     * Whether to read a row-major A in place instead of packing it. Packing A costs ~0.5 ns an element and pays off
     * only over many B panels: with N ≤ 256 (at most 8 wide panels) it is most of the time of a small product
     * (measured: 32×16×800 took 36 µs packed). Not for 12-row blocks whose rows are a multiple of 1 KiB apart,
     * which would share L1 sets.
     */
    static boolean directA(Block block, int n, int aRs, int aCs) {
        return aCs == 1 && n <= 256 && (block != Block.NARROW || aRs % 256 != 0);
    }

    /**
     * Whether to read a row-major B in place instead of packing it, with A read in place too: for a product of
     * whole 64-column panels at most 256 wide, whose B (at most 256 × {@link #DIRECT_KC}) stays in L2 while the row blocks of A
     * pass over it. Packing would cost as much as the arithmetic there: a batch of such products (a contracted
     * generator head, x·G_c for 256 blocks G_c of 784 × 128) streams every block from memory once.
     */
    static boolean directB(Block block, int n, int bCs) {
        return DIRECT_B && block == Block.WIDER && bCs == 1 && n <= 256 && n % NR_WIDER == 0;
    }

    static final boolean DIRECT_B = Boolean.parseBoolean(System.getProperty("hyperc.gemm.directb", "true"));

    /**
     * K per pass when A and B are both read in place: B's slab (at most 1,024 × 256 floats) stays in L2, and C is
     * loaded and stored once per pass. x·G_c (64 × 784 × 128, 256 blocks; Fwd microbenchmark on an AMD EPYC Zen 5,
     * 2 threads, alternating runs): K in passes of 512, 259–273 GFLOP/s; in one pass, 285–292.
     */
    static final int DIRECT_KC = 1024;

    /**
     * As {@link #macroKernel}, with A read in place: row i of the block starts at {@code a[a0 + i·lda]}. B is the
     * packed slab ({@code b0 < 0}: panel jr at {@code jr·kc}, rows {@code nr} apart) or, for {@link #directB}, read in
     * place: row p of the block at {@code b[b0 + p·ldb]}.
     */
    private static void macroKernelRows(Block block, Scratch s, int kc, int mc, int nc, float alpha, boolean overwrite,
                                        float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int co, int ldc) {
        int mr = block.mr, nr = block.nr;
        int[] base = s.rows;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            for (int r = 0; r < mr; r++) base[r] = a0 + (ir + Math.min(r, h - 1)) * lda;
            for (int jr = 0; jr < nc; jr += nr) {
                int w = Math.min(nr, nc - jr), bo = b0 < 0 ? jr * kc : b0 + jr, cij = co + ir * ldc + jr;
                if (h == mr && w == nr) {
                    microRows(block, kc, a, base, b, bo, ldb, c, cij, ldc, alpha, overwrite);
                } else {
                    float[] t = s.tile;
                    microRows(block, kc, a, base, b, bo, ldb, t, 0, nr, 1f, true);
                    addTile(t, nr, h, w, alpha, overwrite, c, cij, ldc);
                }
            }
        }
    }

    /** C[h × w] at cij = (or +=) alpha · tile, rounded as the micro-kernel rounds a full tile. */
    private static void addTile(float[] t, int nr, int h, int w, float alpha, boolean overwrite, float[] c, int cij, int ldc) {
        for (int i = 0; i < h; i++) {
            int ci = cij + i * ldc, ti = i * nr;
            if (overwrite) for (int j = 0; j < w; j++) c[ci + j] = t[ti + j] * alpha;
            else for (int j = 0; j < w; j++) c[ci + j] = Math.fma(t[ti + j], alpha, c[ci + j]);
        }
    }

    private static void micro(Block block, int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        switch (block) {
            case NARROW -> GemmMicroKernel.narrow(kc, ap, ao, bp, bo, c, co, ldc, alpha, overwrite);
            case WIDE -> GemmMicroKernel.wide(kc, ap, ao, bp, bo, c, co, ldc, alpha, overwrite);
            case WIDER -> GemmMicroKernel.wider(kc, ap, ao, bp, bo, c, co, ldc, alpha, overwrite);
        }
    }

    /** {@code ldb}: B's row stride, the register block's width when B is packed (only WIDER reads B in place). */
    private static void microRows(Block block, int kc, float[] a, int[] base, float[] bp, int bo, int ldb, float[] c, int co, int ldc,
                                  float alpha, boolean overwrite) {
        switch (block) {
            case NARROW -> GemmMicroKernel.narrowRows(kc, a, base, bp, bo, c, co, ldc, alpha, overwrite);
            case WIDE -> GemmMicroKernel.wideRows(kc, a, base, bp, bo, c, co, ldc, alpha, overwrite);
            case WIDER -> GemmMicroKernel.widerRows(kc, a, base, bp, bo, ldb, c, co, ldc, alpha, overwrite);
        }
    }

    /** One packed MC × KC block of A times one packed KC × NC slab of B into C. */
    private static void macroKernel(Block block, Scratch s, int kc, int mc, int nc, float alpha, boolean overwrite,
                                    float[] c, int co, int ldc) {
        int mr = block.mr, nr = block.nr;
        for (int jr = 0; jr < nc; jr += nr) {
            int w = Math.min(nr, nc - jr), bo = jr * kc;
            for (int ir = 0; ir < mc; ir += mr) {
                int h = Math.min(mr, mc - ir), ao = ir * kc, cij = co + ir * ldc + jr;
                if (h == mr && w == nr) {
                    micro(block, kc, s.a, ao, s.b, bo, c, cij, ldc, alpha, overwrite);
                } else {
                    float[] t = s.tile;
                    micro(block, kc, s.a, ao, s.b, bo, t, 0, nr, 1f, true);
                    addTile(t, nr, h, w, alpha, overwrite, c, cij, ldc);
                }
            }
        }
    }

    /**
     * Packs the kc × nc block of B at {@code off} into nr-wide panels: panel q holds {@code dst[q·kc·nr + p·nr + j]}
     * = B[p, q·nr + j], zero past column nc. Row-major B copies whole vectors; other layouts copy by element,
     * reading each source column contiguously when it is (a transposed B).
     */
    static void packB(float[] dst, float[] b, int off, int rs, int cs, int kc, int nc, int nr, int[] gatherIdx) {
        int[] gather = null;
        if (cs != 1 && gatherFriendly(cs, GemmMicroKernel.VL) && (long) cs * GemmMicroKernel.VL < Integer.MAX_VALUE) {
            gather = gatherIdx;
            for (int l = 0; l < GemmMicroKernel.VL; l++) gather[l] = l * cs;
        }
        int full = cs == 1 ? nc - nc % nr : 0;
        if (full > 0) {
            // Row-major B, whole panels: row by row, so each source row of the slab is read once, front to back (a
            // wide B streams from memory; panel by panel it would revisit every row nc / nr times, far apart), and
            // PACK_ROWS rows at a time: each row's piece is a page or less of its own, where the prefetchers start
            // over, so several rows in flight keep more memory reads going. edifice_mlp's h·W (B = 256 × 100,480),
            // GemmBench on an AMD EPYC Zen 5, alternating runs: 1 row 182-203, 4 rows 212-265, 8 rows 196-214,
            // 16 rows 178-191 GFLOP/s.
            int p = 0;
            for (; p + PACK_ROWS <= kc; p += PACK_ROWS) {
                int s0 = off + p * rs;
                for (int jp = 0; jp < full; jp += nr) {
                    int dp = jp * kc + p * nr;
                    for (int v = 0; v < nr; v += GemmMicroKernel.VL) {
                        for (int r = 0; r < PACK_ROWS; r++) {
                            jdk.incubator.vector.FloatVector.fromArray(GemmMicroKernel.S, b, s0 + r * rs + jp + v).intoArray(dst, dp + r * nr + v);
                        }
                    }
                }
            }
            for (; p < kc; p++) {
                int sp = off + p * rs;
                for (int jp = 0; jp < full; jp += nr) {
                    int dp = jp * kc + p * nr;
                    for (int v = 0; v < nr; v += GemmMicroKernel.VL) {
                        jdk.incubator.vector.FloatVector.fromArray(GemmMicroKernel.S, b, sp + jp + v).intoArray(dst, dp + v);
                    }
                }
            }
        }
        for (int jp = full; jp < nc; jp += nr) {
            int w = Math.min(nr, nc - jp), d = jp * kc, src = off + jp * cs;
            if (cs == 1) { // the last, partial panel (whole ones were packed above)
                for (int p = 0; p < kc; p++) {
                    int sp = src + p * rs, dp = d + p * nr;
                    for (int j = 0; j < w; j++) dst[dp + j] = b[sp + j];
                    for (int j = w; j < nr; j++) dst[dp + j] = 0f;
                }
            } else if (w == nr && gather != null) {
                // A transposed B: one gather per packed vector (16 columns at one p) beats 16 scalar moves.
                for (int p = 0; p < kc; p++) {
                    int sp = src + p * rs, dp = d + p * nr;
                    for (int v = 0; v < nr; v += GemmMicroKernel.VL) {
                        jdk.incubator.vector.FloatVector.fromArray(GemmMicroKernel.S, b, sp + v * cs, gather, 0).intoArray(dst, dp + v);
                    }
                }
            } else {
                for (int j = 0; j < w; j++) {
                    int sj = src + j * cs;
                    for (int p = 0; p < kc; p++) dst[d + p * nr + j] = b[sj + p * rs];
                }
                if (w < nr) for (int p = 0; p < kc; p++) java.util.Arrays.fill(dst, d + p * nr + w, d + (p + 1) * nr, 0f);
            }
        }
    }

    /**
     * Packs the mc × kc block of A at {@code off} into mr-tall panels: panel q holds {@code dst[q·mr·kc + p·mr + i]}
     * = A[q·mr + i, p], zero past row mc. Each source row (or, for a transposed A, each column) is read
     * contiguously.
     */
    static void packA(float[] dst, float[] a, int off, int rs, int cs, int mc, int kc, int mr, int[] gatherIdx) {
        int vl = GemmMicroKernel.VL;
        // Gathering: the packed panel is the sequence t → A[t mod mr, t / mr]; its index pattern repeats every
        // lcm(VL, mr) elements (3 vectors for mr = 6 or 12 and VL = 4, 8 or 16), i.e. every `period` columns p.
        int vectors = lcm(vl, mr) / vl, period = vectors * vl / mr;
        boolean gather = rs != 1 && gatherFriendly(rs, mr) && vectors * vl <= gatherIdx.length
                && (long) (mr - 1) * rs + (long) period * cs < Integer.MAX_VALUE;
        if (gather) for (int t = 0; t < vectors * vl; t++) gatherIdx[t] = (t % mr) * rs + (t / mr) * cs;
        for (int ip = 0; ip < mc; ip += mr) {
            int h = Math.min(mr, mc - ip), d = ip * kc, src = off + ip * rs;
            if (gather && h == mr) {
                int p = 0;
                for (; p + period <= kc; p += period) {
                    int sp = src + p * cs, dp = d + p * mr;
                    for (int v = 0; v < vectors; v++) {
                        jdk.incubator.vector.FloatVector.fromArray(GemmMicroKernel.S, a, sp, gatherIdx, v * vl).intoArray(dst, dp + v * vl);
                    }
                }
                for (; p < kc; p++) for (int i = 0; i < mr; i++) dst[d + p * mr + i] = a[src + i * rs + p * cs];
            } else if (rs == 1 && mr <= vl) {
                // A transposed: each p is mr contiguous floats; one masked load (zero past h) and store.
                var load = GemmMicroKernel.S.indexInRange(0, h);
                var store = GemmMicroKernel.S.indexInRange(0, mr);
                for (int p = 0; p < kc; p++) {
                    jdk.incubator.vector.FloatVector.fromArray(GemmMicroKernel.S, a, src + p * cs, load).intoArray(dst, d + p * mr, store);
                }
            } else if (rs == 1) {
                for (int p = 0; p < kc; p++) {
                    int sp = src + p * cs, dp = d + p * mr;
                    for (int i = 0; i < h; i++) dst[dp + i] = a[sp + i];
                    for (int i = h; i < mr; i++) dst[dp + i] = 0f;
                }
            } else {
                for (int i = 0; i < h; i++) {
                    int si = src + i * rs;
                    for (int p = 0; p < kc; p++) dst[d + p * mr + i] = a[si + p * cs];
                }
                for (int i = h; i < mr; i++) for (int p = 0; p < kc; p++) dst[d + p * mr + i] = 0f;
            }
        }
    }

    /**
     * Whether a gather of {@code lanes} elements {@code stride} floats apart is faster than scalar moves: not when
     * the stride is a multiple of 1 KiB and there are more lanes than L1 ways (8), for then every lane maps to the
     * same few cache sets and they evict each other (measured: 1.7 ns/element gathering at a 4 KiB stride against
     * 0.7 scalar; 0.43 against 0.7 at a stride of 1000 floats).
     */
    static boolean gatherFriendly(int stride, int lanes) {
        return lanes <= 8 || stride % 256 != 0;
    }

    static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    static int roundUp(int x, int unit) {
        return Math.max(unit, (x + unit - 1) / unit * unit);
    }

    // ------------------------------------------------------------------ reusable parallel bodies

    private static final Reusable<Task> TASKS = new Reusable<>(Task::new);

    /** The arguments of one parallel product. */
    private static final class Task extends Reusable.Args implements Parallel.ChunkBody {
        boolean splitRows;
        Block block;
        Epilogue epi;
        int m, n, k, aOff, aRs, aCs, bOff, bRs, bCs, cOff, ldc;
        float alpha;
        float[] a, b, c;
        boolean accumulate;

        @Override
        void clear() {
            a = b = c = null;
            epi = null;
        }

        void set(int m, int n, int k, float alpha, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs,
                 int bCs, boolean accumulate, float[] c, int cOff, int ldc) {
            this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.aOff = aOff; this.aRs = aRs; this.aCs = aCs;
            this.b = b; this.bOff = bOff; this.bRs = bRs; this.bCs = bCs;
            this.accumulate = accumulate; this.c = c; this.cOff = cOff; this.ldc = ldc;
        }

        @Override
        public void run(int chunk, int start, int end) {
            int mr = block.mr, nr = block.nr;
            if (splitRows) {
                blocked(block, start * mr, Math.min(end * mr, m), 0, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc, epi);
            } else {
                blocked(block, 0, m, start * nr, Math.min(end * nr, n), k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, accumulate, c, cOff, ldc, epi);
            }
        }
    }

    private static final Reusable<BatchTask> BATCH_TASKS = new Reusable<>(BatchTask::new);

    /** As {@link Task}, for a batch whose products are distributed whole over the threads. */
    private static final class BatchTask extends Reusable.Args implements Parallel.ChunkBody {
        int m, n, k, aOff, aStride, aRs, aCs, bOff, bStride, bRs, bCs, cOff, cStride, ldc;
        float alpha;
        float[] a, b, c;
        boolean accumulate;

        @Override
        void clear() {
            a = b = c = null;
        }

        void set(int m, int n, int k, float alpha, float[] a, int aOff, int aStride, int aRs, int aCs, float[] b, int bOff,
                 int bStride, int bRs, int bCs, boolean accumulate, float[] c, int cOff, int cStride, int ldc) {
            this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.aOff = aOff; this.aStride = aStride; this.aRs = aRs; this.aCs = aCs;
            this.b = b; this.bOff = bOff; this.bStride = bStride; this.bRs = bRs; this.bCs = bCs;
            this.accumulate = accumulate; this.c = c; this.cOff = cOff; this.cStride = cStride; this.ldc = ldc;
        }

        @Override
        public void run(int chunk, int start, int end) {
            for (int g = start; g < end; g++) {
                gemm(null, m, n, k, alpha, a, aOff + g * aStride, aRs, aCs, b, bOff + g * bStride, bRs, bCs,
                        accumulate, c, cOff + g * cStride, ldc);
            }
        }
    }
}
