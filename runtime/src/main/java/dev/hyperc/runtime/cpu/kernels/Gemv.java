package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector × matrix, y[j] = alpha · Σ_p x[p] · B[p, j] (+ y[j]): GEMM with M = 1 (or, transposed, N = 1).
 *
 * <p>Why not the packed GEMM: each element of B is used once, so the product is bound by reading B, and packing it
 * first would read it twice and write it once. Here B is read in place:
 * <ul>
 *   <li>B row-major (unit column stride): the "axpy" form, 8 vectors of y held in registers while the rows of B
 *       stream through, so y is written once;</li>
 *   <li>B column-major (unit row stride, a transposed weight as in dx = dy · Wᵀ) with contiguous x: 4 dot products
 *       at a time sharing the loads of x, each column read contiguously;</li>
 *   <li>anything else: a scalar loop.</li>
 * </ul>
 * The reduction order for each y[j] is fixed by the code path and never by the thread split, so results are
 * deterministic and independent of the thread count.
 */
final class Gemv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** Below this many multiply-adds the pool is not woken. */
    static final long PARALLEL_MIN_WORK = 1L << 16;

    private Gemv() {}

    /** y[j·yInc] (+)= alpha · Σ_p x[xOff + p·xInc] · b[bOff + p·bRs + j·bCs], j in [0, n). */
    static void vecMat(Parallel par, int n, int k, float alpha, float[] x, int xOff, int xInc,
                       float[] b, int bOff, int bRs, int bCs, boolean accumulate, float[] y, int yOff, int yInc) {
        int threads = par == null ? 1 : par.threads();
        if (threads == 1 || (long) n * k < PARALLEL_MIN_WORK || n < 2 * VL) {
            range(0, n, k, alpha, x, xOff, xInc, b, bOff, bRs, bCs, accumulate, y, yOff, yInc);
            return;
        }
        // Split in whole vectors so that every thread runs the same vector/tail decomposition as a serial call.
        try (Task t = TASKS.acquire()) {
            t.n = n; t.k = k; t.alpha = alpha; t.x = x; t.xOff = xOff; t.xInc = xInc;
            t.b = b; t.bOff = bOff; t.bRs = bRs; t.bCs = bCs; t.accumulate = accumulate; t.y = y; t.yOff = yOff; t.yInc = yInc;
            par.forChunks((n + VL - 1) / VL, t);
        }
    }

    private static final Reusable<Task> TASKS = new Reusable<>(Task::new);

    /** The arguments of a parallel call, reused per calling thread so that a call allocates nothing. */
    private static final class Task extends Reusable.Args implements Parallel.ChunkBody {
        boolean accumulate;
        int n, k, xOff, xInc, bOff, bRs, bCs, yOff, yInc;
        float alpha;
        float[] x, b, y;

        @Override
        void clear() {
            x = b = y = null;
        }

        @Override
        public void run(int chunk, int start, int end) {
            range(start * VL, Math.min(end * VL, n), k, alpha, x, xOff, xInc, b, bOff, bRs, bCs, accumulate, y, yOff, yInc);
        }
    }

    /** Columns [j0, j1) of {@link #vecMat}. */
    static void range(int j0, int j1, int k, float alpha, float[] x, int xOff, int xInc,
                      float[] b, int bOff, int bRs, int bCs, boolean accumulate, float[] y, int yOff, int yInc) {
        if (bCs == 1) axpyForm(j0, j1, k, alpha, x, xOff, xInc, b, bOff, bRs, accumulate, y, yOff, yInc);
        else if (bRs == 1 && xInc == 1) dotForm(j0, j1, k, alpha, x, xOff, b, bOff, bCs, accumulate, y, yOff, yInc);
        else scalar(j0, j1, k, alpha, x, xOff, xInc, b, bOff, bRs, bCs, accumulate, y, yOff, yInc);
    }

    private static void axpyForm(int j0, int j1, int k, float alpha, float[] x, int xOff, int xInc,
                                 float[] b, int bOff, int bRs, boolean accumulate, float[] y, int yOff, int yInc) {
        int j = j0;
        for (; j + 8 * VL <= j1; j += 8 * VL) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            for (int p = 0; p < k; p++) {
                FloatVector xv = FloatVector.broadcast(S, x[xOff + p * xInc]);
                int r = bOff + p * bRs + j;
                c0 = FloatVector.fromArray(S, b, r).fma(xv, c0);
                c1 = FloatVector.fromArray(S, b, r + VL).fma(xv, c1);
                c2 = FloatVector.fromArray(S, b, r + 2 * VL).fma(xv, c2);
                c3 = FloatVector.fromArray(S, b, r + 3 * VL).fma(xv, c3);
                c4 = FloatVector.fromArray(S, b, r + 4 * VL).fma(xv, c4);
                c5 = FloatVector.fromArray(S, b, r + 5 * VL).fma(xv, c5);
                c6 = FloatVector.fromArray(S, b, r + 6 * VL).fma(xv, c6);
                c7 = FloatVector.fromArray(S, b, r + 7 * VL).fma(xv, c7);
            }
            store(c0, j, alpha, accumulate, y, yOff, yInc);
            store(c1, j + VL, alpha, accumulate, y, yOff, yInc);
            store(c2, j + 2 * VL, alpha, accumulate, y, yOff, yInc);
            store(c3, j + 3 * VL, alpha, accumulate, y, yOff, yInc);
            store(c4, j + 4 * VL, alpha, accumulate, y, yOff, yInc);
            store(c5, j + 5 * VL, alpha, accumulate, y, yOff, yInc);
            store(c6, j + 6 * VL, alpha, accumulate, y, yOff, yInc);
            store(c7, j + 7 * VL, alpha, accumulate, y, yOff, yInc);
        }
        for (; j + 2 * VL <= j1; j += 2 * VL) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0;
            for (int p = 0; p < k; p++) {
                FloatVector xv = FloatVector.broadcast(S, x[xOff + p * xInc]);
                int r = bOff + p * bRs + j;
                c0 = FloatVector.fromArray(S, b, r).fma(xv, c0);
                c1 = FloatVector.fromArray(S, b, r + VL).fma(xv, c1);
            }
            store(c0, j, alpha, accumulate, y, yOff, yInc);
            store(c1, j + VL, alpha, accumulate, y, yOff, yInc);
        }
        for (; j < j1; j += VL) {
            VectorMask<Float> m = S.indexInRange(j, j1);
            FloatVector c0 = FloatVector.zero(S);
            for (int p = 0; p < k; p++) {
                FloatVector xv = FloatVector.broadcast(S, x[xOff + p * xInc]);
                c0 = FloatVector.fromArray(S, b, bOff + p * bRs + j, m).fma(xv, c0);
            }
            int w = Math.min(VL, j1 - j);
            for (int l = 0; l < w; l++) {
                int yi = yOff + (j + l) * yInc;
                float v = c0.lane(l);
                y[yi] = accumulate ? Math.fma(v, alpha, y[yi]) : v * alpha;
            }
        }
    }

    /** y[j..j+VL) from a full vector of sums, with the rounding of {@code fma(acc, alpha, y)}. */
    private static void store(FloatVector acc, int j, float alpha, boolean accumulate, float[] y, int yOff, int yInc) {
        if (yInc == 1) {
            FloatVector al = FloatVector.broadcast(S, alpha);
            if (accumulate) acc.fma(al, FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
            else acc.mul(al).intoArray(y, yOff + j);
        } else {
            for (int l = 0; l < VL; l++) {
                int yi = yOff + (j + l) * yInc;
                float v = acc.lane(l);
                y[yi] = accumulate ? Math.fma(v, alpha, y[yi]) : v * alpha;
            }
        }
    }

    private static void dotForm(int j0, int j1, int k, float alpha, float[] x, int xOff,
                                float[] b, int bOff, int bCs, boolean accumulate, float[] y, int yOff, int yInc) {
        int kv = k - k % VL;
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int r0 = bOff + j * bCs, r1 = r0 + bCs, r2 = r1 + bCs, r3 = r2 + bCs;
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            for (int p = 0; p < kv; p += VL) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
                c0 = FloatVector.fromArray(S, b, r0 + p).fma(xv, c0);
                c1 = FloatVector.fromArray(S, b, r1 + p).fma(xv, c1);
                c2 = FloatVector.fromArray(S, b, r2 + p).fma(xv, c2);
                c3 = FloatVector.fromArray(S, b, r3 + p).fma(xv, c3);
            }
            if (kv < k) {
                VectorMask<Float> m = S.indexInRange(kv, k);
                FloatVector xv = FloatVector.fromArray(S, x, xOff + kv, m);
                c0 = FloatVector.fromArray(S, b, r0 + kv, m).fma(xv, c0);
                c1 = FloatVector.fromArray(S, b, r1 + kv, m).fma(xv, c1);
                c2 = FloatVector.fromArray(S, b, r2 + kv, m).fma(xv, c2);
                c3 = FloatVector.fromArray(S, b, r3 + kv, m).fma(xv, c3);
            }
            put(Lanes.sum(c0), j, alpha, accumulate, y, yOff, yInc);
            put(Lanes.sum(c1), j + 1, alpha, accumulate, y, yOff, yInc);
            put(Lanes.sum(c2), j + 2, alpha, accumulate, y, yOff, yInc);
            put(Lanes.sum(c3), j + 3, alpha, accumulate, y, yOff, yInc);
        }
        for (; j < j1; j++) {
            int r0 = bOff + j * bCs;
            FloatVector c0 = FloatVector.zero(S);
            for (int p = 0; p < kv; p += VL) c0 = FloatVector.fromArray(S, b, r0 + p).fma(FloatVector.fromArray(S, x, xOff + p), c0);
            if (kv < k) {
                VectorMask<Float> m = S.indexInRange(kv, k);
                c0 = FloatVector.fromArray(S, b, r0 + kv, m).fma(FloatVector.fromArray(S, x, xOff + kv, m), c0);
            }
            put(Lanes.sum(c0), j, alpha, accumulate, y, yOff, yInc);
        }
    }

    private static void put(float v, int j, float alpha, boolean accumulate, float[] y, int yOff, int yInc) {
        int yi = yOff + j * yInc;
        y[yi] = accumulate ? Math.fma(v, alpha, y[yi]) : v * alpha;
    }

    private static void scalar(int j0, int j1, int k, float alpha, float[] x, int xOff, int xInc,
                               float[] b, int bOff, int bRs, int bCs, boolean accumulate, float[] y, int yOff, int yInc) {
        for (int j = j0; j < j1; j++) {
            float s = 0f;
            for (int p = 0; p < k; p++) s = Math.fma(x[xOff + p * xInc], b[bOff + p * bRs + j * bCs], s);
            put(s, j, alpha, accumulate, y, yOff, yInc);
        }
    }
}
