package dev.hyperc.runtime.cpu.kernels;

/**
 * C = alpha · A · Bᵀ (+ C) computed as its transpose, Cᵀ = B · Aᵀ, for products where B is the big operand, both
 * operands are contiguous along K (A row-major, element (i, p) at {@code a[aOff + i·aRs + p]}; B read as its
 * transpose, element (p, j) at {@code b[bOff + j·bCs + p]}) and A has few rows. The input gradient of a wide layer
 * has this form: edifice_mlp's dY·Wᵀ, A = dY (64 × 100,480), B = W (256 × 100,480).
 *
 * <p>Why: the blocked kernel packs B into K-major panels, which for this layout is a transposing gather of all
 * K × N elements (25.7 M in edifice_mlp), each of them then used only M / MR times. Swapped, the big operand is the
 * blocked kernel's A, which it reads in place when the other side is narrow ({@link Gemm#directA}: rows broadcast
 * from where they lie), and only the small operand is packed (transposed, M × K elements).
 *
 * <p>Cᵀ goes to per-thread scratch: each thread takes a range of C's columns (rows of Cᵀ), starts its scratch from
 * C when accumulating, runs the blocked kernel, and copies the block back transposed before running the epilogue on
 * it. The result is bitwise that of the blocked kernel on the original product: an element is the same FMA chain
 * along K over the same products (x·y and y·x round alike) in the same panel order, whichever side is broadcast.
 */
final class SwappedGemm {
    /** The most floats of C (so of per-thread scratch) a product may have to go here. */
    static final int MAX_C = 1 << 20;

    private SwappedGemm() {}

    /**
     * Whether the product should run swapped: both operands contiguous along K, B at least twice as wide as A is
     * tall, and A short enough for the swapped product to read B in place.
     */
    static boolean applies(int m, int n, int aCs, int bRs, int bCs) {
        return aCs == 1 && bRs == 1 && bCs != 1 && n >= 2 * m && (long) m * n <= MAX_C
                && Gemm.directA(Gemm.Block.of(m), m, bCs, 1);
    }

    /** Per-thread Cᵀ blocks, grown (rarely) to the largest seen, at most {@link #MAX_C} floats. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    static void gemm(Parallel par, int m, int n, int k, float alpha, float[] a, int aOff, int aRs,
                     float[] b, int bOff, int bCs, boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
        Gemm.Block block = Gemm.Block.of(m);
        int tiles = (n + block.mr - 1) / block.mr;
        if (par == null || par.threads() == 1 || tiles < 2 || 2L * m * n * k < Gemm.PARALLEL_MIN_FLOPS) {
            columns(block, m, 0, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            return;
        }
        try (Task t = TASKS.acquire()) {
            t.set(block, m, n, k, alpha, a, aOff, aRs, b, bOff, bCs, accumulate, c, cOff, ldc, epi);
            par.forChunks(tiles, t);
        }
    }

    /** Columns [j0, j1) of C on the calling thread: rows [j0, j1) of Cᵀ = B · Aᵀ, then written back transposed. */
    static void columns(Gemm.Block block, int m, int j0, int j1, int k, float alpha, float[] a, int aOff, int aRs,
                        float[] b, int bOff, int bCs, boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
        int rows = j1 - j0;
        float[][] holder = SCRATCH.get();
        if (holder[0].length < rows * m) holder[0] = new float[rows * m];
        float[] ct = holder[0];
        if (accumulate) {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc + j0;
                for (int r = 0; r < rows; r++) ct[r * m + i] = c[ci + r];
            }
        }
        // Cᵀ[r, i] = Σ_p B[p, j0 + r] · A[i, p]: the swapped A is B's rows (unit stride along K), the swapped B is Aᵀ.
        Gemm.blocked(block, 0, rows, 0, m, k, alpha, b, bOff + j0 * bCs, bCs, 1, a, aOff, 1, aRs, accumulate, ct, 0, m);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc + j0;
            for (int r = 0; r < rows; r++) c[ci + r] = ct[r * m + i];
        }
        if (epi != null) epi.apply(0, m, j0, j1);
    }

    private static final Reusable<Task> TASKS = new Reusable<>(Task::new);

    /** The arguments of one parallel product: chunks are tiles of Cᵀ's rows. */
    private static final class Task extends Reusable.Args implements Parallel.ChunkBody {
        Gemm.Block block;
        int m, n, k, aOff, aRs, bOff, bCs, cOff, ldc;
        float alpha;
        float[] a, b, c;
        boolean accumulate;
        Gemm.Epilogue epi;

        @Override
        void clear() {
            a = b = c = null;
            epi = null;
        }

        void set(Gemm.Block block, int m, int n, int k, float alpha, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                 boolean accumulate, float[] c, int cOff, int ldc, Gemm.Epilogue epi) {
            this.block = block; this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.aOff = aOff; this.aRs = aRs; this.b = b; this.bOff = bOff; this.bCs = bCs;
            this.accumulate = accumulate; this.c = c; this.cOff = cOff; this.ldc = ldc; this.epi = epi;
        }

        @Override
        public void run(int chunk, int start, int end) {
            columns(block, m, start * block.mr, Math.min(end * block.mr, n), k, alpha, a, aOff, aRs, b, bOff, bCs,
                    accumulate, c, cOff, ldc, epi);
        }
    }
}
