package dev.hyperc.runtime.cpu.kernels;

import static dev.hyperc.runtime.cpu.kernels.KernelTesting.assertClose;
import static dev.hyperc.runtime.cpu.kernels.KernelTesting.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GemmTest {
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

    /** An operand view: element (i, j) at off + i·rs + j·cs of data. */
    record View(float[] data, int off, int rs, int cs) {
        double get(int i, int j) {
            return data[off + i * rs + j * cs];
        }

        /** A rows × cols matrix with random padding around it, row-major or (transposed) column-major. */
        static View random(int rows, int cols, boolean colMajor, long seed) {
            int pad = 3, ld = (colMajor ? rows : cols) + 5;
            float[] d = KernelTesting.random(pad + ld * (colMajor ? cols : rows) + 7, seed);
            return colMajor ? new View(d, pad, 1, ld) : new View(d, pad, ld, 1);
        }
    }

    static double[] reference(int m, int n, int k, float alpha, View a, View b, double[] c0) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += a.get(i, p) * b.get(p, j);
            c[i * n + j] = alpha * s + (c0 == null ? 0 : c0[i * n + j]);
        }
        return c;
    }

    void check(Parallel par, int m, int n, int k, boolean ta, boolean tb, boolean accumulate, float alpha) {
        check(false, par, m, n, k, ta, tb, accumulate, alpha);
    }

    /** {@link #check}, with {@code dot}: straight through {@link DotGemm} (A row-major, B transposed) whatever Gemm would choose. */
    void check(boolean dot, Parallel par, int m, int n, int k, boolean ta, boolean tb, boolean accumulate, float alpha) {
        View a = View.random(m, k, ta, 31L * m + k), b = View.random(k, n, tb, 17L * n + k + 1);
        int ldc = n + 2, cOff = 1;
        float[] c = random(cOff + m * ldc + 3, 99);
        double[] c0 = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c0[i * n + j] = c[cOff + i * ldc + j];
        float[] before = c.clone();
        if (dot) DotGemm.gemm(par, m, n, k, alpha, a.data(), a.off(), a.rs(), b.data(), b.off(), b.cs(), accumulate, c, cOff, ldc, null);
        else Gemm.gemm(par, m, n, k, alpha, a.data(), a.off(), a.rs(), a.cs(), b.data(), b.off(), b.rs(), b.cs(), accumulate, c, cOff, ldc);
        double[] expected = reference(m, n, k, alpha, a, b, accumulate ? c0 : null);
        float[] got = new float[m * n];
        for (int i = 0; i < m; i++) System.arraycopy(c, cOff + i * ldc, got, i * n, n);
        String what = m + "×" + n + "×" + k + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "") + (accumulate ? " +C" : "") + " α=" + alpha;
        assertClose(what, expected, got, TOL);
        // Nothing outside C[M, N] is touched: the padding columns keep their values.
        for (int i = 0; i < m; i++) for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
            org.junit.jupiter.api.Assertions.assertEquals(before[cOff + i * ldc + j], c[cOff + i * ldc + j], what + " wrote past N");
        }
    }

    @Test
    void oddShapesAllTransposes() {
        int[] sizes = {1, 2, 7, 16, 33, 130};
        for (int m : sizes) for (int n : sizes) for (int k : sizes) {
            for (int t = 0; t < 4; t++) check(par2, m, n, k, (t & 1) != 0, (t & 2) != 0, t == 3, t == 2 ? 0.5f : 1f);
        }
    }

    /**
     * The epilogue sees each element once, after its last K panel: squaring (not additive, so an early or repeated
     * application shows) must give exactly (A·B)² on every path: GEMV rows and columns, serial and parallel blocks.
     */
    @Test
    void epilogueRunsOnceOnFinishedBlocks() {
        int[][] shapes = {{1, 37, 600}, {29, 1, 70}, {9, 21, 33}, {Gemm.MC + 7, 2 * GemmMicroKernel.NR + 5, Gemm.KC + 33},
                {Gemm.MC * 2 + 1, 3 * GemmMicroKernel.NR + 1, 2 * Gemm.KC + 1},
                {7, 10, DotGemm.MIN_K + 5, 1}}; // a fourth entry: B transposed, a long K: also run as dot products
        for (int[] sh : shapes) {
            for (Parallel par : new Parallel[] {null, par2}) {
                epilogueRunsOnce(false, par, sh[0], sh[1], sh[2], sh.length > 3);
                if (sh.length > 3) epilogueRunsOnce(true, par, sh[0], sh[1], sh[2], true);
            }
        }
    }

    /** One product of {@link #epilogueRunsOnceOnFinishedBlocks}: through {@link Gemm#gemm} or straight through {@link DotGemm}. */
    private void epilogueRunsOnce(boolean dot, Parallel par, int m, int n, int k, boolean tb) {
        View a = View.random(m, k, false, 5L * m + k), b = View.random(k, n, tb, 3L * n + k);
        float[] c = new float[m * n];
        int[] hits = new int[m * n];
        Gemm.Epilogue square = (i0, i1, j0, j1) -> {
            for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) {
                c[i * n + j] *= c[i * n + j];
                synchronized (hits) { hits[i * n + j]++; }
            }
        };
        if (dot) DotGemm.gemm(par, m, n, k, 1f, a.data(), a.off(), a.rs(), b.data(), b.off(), b.cs(), false, c, 0, n, square);
        else Gemm.gemm(par, m, n, k, 1f, a.data(), a.off(), a.rs(), a.cs(), b.data(), b.off(), b.rs(), b.cs(), false, c, 0, n, square);
        double[] expected = reference(m, n, k, 1f, a, b, null);
        for (int i = 0; i < expected.length; i++) expected[i] *= expected[i];
        String what = "epilogue " + (dot ? "dot products " : "") + m + "×" + n + "×" + k + (par == null ? " serial" : " parallel");
        assertClose(what, expected, c, 1e-4);
        for (int i = 0; i < hits.length; i++) org.junit.jupiter.api.Assertions.assertEquals(1, hits[i], what + " element " + i);
    }

    /**
     * With an epilogue, C is finished in blocks of at most {@link Gemm#EPILOGUE_ROWS} rows and
     * {@link Gemm#epilogueColumns} columns, far more than NC at a short K (long rows stream well for an optimizer
     * update), and the blocks tile C exactly once.
     */
    @Test
    void epilogueBlocksAreFewLongRows() {
        int m = 40, n = 20000, k = 64;
        View a = View.random(m, k, false, 1), b = View.random(k, n, false, 2);
        float[] c = new float[m * n];
        int[] hits = new int[m * n];
        java.util.List<int[]> blocks = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Gemm.Epilogue record = (i0, i1, j0, j1) -> {
            blocks.add(new int[] {i0, i1, j0, j1});
            for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) hits[i * n + j]++;
        };
        Gemm.gemm(par2, m, n, k, 1f, a.data(), a.off(), a.rs(), a.cs(), b.data(), b.off(), b.rs(), b.cs(), false, c, 0, n, record);
        int columns = Gemm.epilogueColumns(k, Gemm.Block.of(n).nr), widest = 0;
        org.junit.jupiter.api.Assertions.assertTrue(columns > 4 * Gemm.NC, "columns at K = 64: " + columns);
        for (int[] blk : blocks) {
            org.junit.jupiter.api.Assertions.assertTrue(blk[1] - blk[0] <= Gemm.EPILOGUE_ROWS, "rows " + blk[0] + ".." + blk[1]);
            org.junit.jupiter.api.Assertions.assertTrue(blk[3] - blk[2] <= columns, "columns " + blk[2] + ".." + blk[3]);
            widest = Math.max(widest, blk[3] - blk[2]);
        }
        org.junit.jupiter.api.Assertions.assertEquals(columns, widest, "the widest block");
        for (int i = 0; i < hits.length; i++) org.junit.jupiter.api.Assertions.assertEquals(1, hits[i], "element " + i);
        assertClose("product", reference(m, n, k, 1f, a, b, null), c, TOL);
    }

    @Test
    void largerThanTheCacheBlocks() {
        // Crosses KC, MC and NR boundaries with edge tiles on every side, serial and on two threads.
        check(null, Gemm.MC + 7, 2 * GemmMicroKernel.NR + 5, Gemm.KC + 33, false, false, false, 1f);
        check(par2, Gemm.MC * 2 + 1, 3 * GemmMicroKernel.NR + 1, 2 * Gemm.KC + 1, true, false, true, -1.5f);
        check(par2, 37, 700, 300, false, true, false, 1f);
        check(par2, 700, 37, 300, true, true, false, 1f);
    }

    /**
     * A long-K product with B transposed runs as dot products ({@link DotGemm}): edge blocks on both sides (M odd,
     * N not a multiple of 4), a K tail shorter than a vector and several K chunks; serial and on two threads it must
     * agree with the reference and with each other bit for bit.
     */
    @Test
    void longKTimesTransposedBRunsAsDotProducts() {
        int[][] shapes = {{5, 7, DotGemm.MIN_K + 3}, {2, 4, 2 * DotGemm.KD + DotGemm.MIN_K}, {9, 13, DotGemm.MIN_K + 2 * DotGemm.KD + 1},
                {3, 2, DotGemm.MIN_K + 17}, {2, DotGemm.JB + 9, 16 * (DotGemm.JB + 11)}}; // the last in two column passes
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            org.junit.jupiter.api.Assertions.assertTrue(DotGemm.shapeFits(m, n, k, 1, 1), m + "×" + n + "×" + k);
            check(true, null, m, n, k, false, true, false, 1f);
            check(true, par2, m, n, k, false, true, true, -0.5f);
            check(false, par2, m, n, k, false, true, false, 1f); // and whichever path Gemm takes on this machine
            View a = View.random(m, k, false, 3), b = View.random(k, n, true, 4);
            float[] serial = new float[m * n], parallel = new float[m * n];
            DotGemm.gemm(null, m, n, k, 1f, a.data(), a.off(), a.rs(), b.data(), b.off(), b.cs(), false, serial, 0, n, null);
            DotGemm.gemm(par2, m, n, k, 1f, a.data(), a.off(), a.rs(), b.data(), b.off(), b.cs(), false, parallel, 0, n, null);
            assertArrayEquals(serial, parallel, m + "×" + n + "×" + k + " serial vs two threads");
        }
        org.junit.jupiter.api.Assertions.assertFalse(DotGemm.shapeFits(DotGemm.MAX_M + 1, 4, 1 << 16, 1, 1), "M too large for A's chunk to stay in L2");
    }

    /**
     * A·Bᵀ with B much wider than A is tall runs swapped ({@link SwappedGemm}: Cᵀ = B·Aᵀ, B read in place). It must
     * equal the blocked kernel on the original product bit for bit (the same FMA chains), accumulating and scaling
     * the same way, serial and on two threads; leave C's padding alone; and run the epilogue once per element.
     */
    @Test
    void wideTransposedBRunsSwappedBitForBit() {
        int[][] shapes = {{7, 37, 45}, {13, 300, Gemm.KC + 33}, {64, 256, 2 * Gemm.KC + 5},
                {GemmMicroKernel.MR + 1, 2 * GemmMicroKernel.MR + 3, 3}, {2, 1000, 70}};
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            String what = m + "×" + n + "×" + k;
            View a = View.random(m, k, false, 11L * m + k), b = View.random(k, n, true, 13L * n + k);
            org.junit.jupiter.api.Assertions.assertTrue(SwappedGemm.applies(m, n, a.cs(), b.rs(), b.cs()), what);
            for (boolean accumulate : new boolean[] {false, true}) {
                for (float alpha : new float[] {1f, -0.75f}) {
                    float[] c0 = random(m * n, 5L * m + n);
                    float[] want = c0.clone();
                    Gemm.blocked(Gemm.Block.of(n), 0, m, 0, n, k, alpha, a.data(), a.off(), a.rs(), a.cs(),
                            b.data(), b.off(), b.rs(), b.cs(), accumulate, want, 0, n);
                    for (Parallel par : new Parallel[] {null, par2}) {
                        float[] got = c0.clone();
                        SwappedGemm.gemm(par, m, n, k, alpha, a.data(), a.off(), a.rs(), b.data(), b.off(), b.cs(), accumulate, got, 0, n, null);
                        assertArrayEquals(want, got, what + (accumulate ? " +C" : "") + " α=" + alpha + (par == null ? " serial" : " parallel"));
                    }
                }
            }
            check(par2, m, n, k, false, true, true, -0.75f); // through Gemm.gemm: against the reference, padding untouched
            epilogueRunsOnce(false, par2, m, n, k, true);
            epilogueRunsOnce(false, null, m, n, k, true);
        }
        org.junit.jupiter.api.Assertions.assertFalse(SwappedGemm.applies(300, 310, 1, 1, 1000), "A as tall as B is wide");
        org.junit.jupiter.api.Assertions.assertFalse(SwappedGemm.applies(7, 37, 1, 37, 1), "B not transposed");
    }

    /** Every register block computes each element by the same FMA chain, so the choice of block never changes a bit. */
    @Test
    void registerBlocksAgreeBitForBit() {
        int m = 50, n = 200, k = Gemm.KC + 45;
        for (boolean direct : new boolean[] {false, true}) {
            View a = View.random(m, k, !direct, 7), b = View.random(k, n, false, 8);
            float[][] out = new float[Gemm.Block.values().length][];
            for (Gemm.Block block : Gemm.Block.values()) {
                float[] c = new float[m * n];
                Gemm.blocked(block, 0, m, 0, n, k, 1f, a.data(), a.off(), a.rs(), a.cs(), b.data(), b.off(), b.rs(), b.cs(), false, c, 0, n);
                out[block.ordinal()] = c;
            }
            assertArrayEquals(out[0], out[1], "narrow vs wide" + (direct ? ", A in place" : ""));
            assertArrayEquals(out[1], out[2], "wide vs wider" + (direct ? ", A in place" : ""));
            assertClose("wider", reference(m, n, k, 1f, a, b, null), out[2], TOL);
        }
        if (GemmMicroKernel.HAS_WIDER) org.junit.jupiter.api.Assertions.assertEquals(Gemm.Block.WIDER, Gemm.Block.of(256));
    }

    /**
     * Each micro-kernel shape equals a scalar FMA chain bit for bit, whichever shape this machine's blocks use: the
     * 6-row kernels serve 32-register machines and the 4-row ones 16-register machines, so on any one machine the
     * blocked tests above reach only one of them.
     */
    @Test
    void everyMicroKernelShapeIsAnFmaChain() {
        int vl = GemmMicroKernel.VL, nr = GemmMicroKernel.NR, kc = 37, ldc = nr + 3;
        float[] b = KernelTesting.random(kc * nr, 11);
        float[] aRows = KernelTesting.random(6 * (kc + 2), 12); // row r starts at r·(kc + 2)
        int[] base = {0, kc + 2, 2 * (kc + 2), 3 * (kc + 2), 4 * (kc + 2), 5 * (kc + 2)};
        for (int mr : new int[] {4, 6}) {
            float[] ap = new float[kc * mr]; // packed: ap[p·mr + r]
            for (int p = 0; p < kc; p++) for (int r = 0; r < mr; r++) ap[p * mr + r] = aRows[base[r] + p];
            for (boolean overwrite : new boolean[] {true, false}) {
                float alpha = -0.75f;
                float[] c0 = KernelTesting.random(mr * ldc, 13), want = c0.clone();
                for (int r = 0; r < mr; r++) {
                    for (int j = 0; j < nr; j++) {
                        float acc = 0f;
                        for (int p = 0; p < kc; p++) acc = Math.fma(aRows[base[r] + p], b[p * nr + j], acc);
                        want[r * ldc + j] = overwrite ? acc * alpha : Math.fma(acc, alpha, c0[r * ldc + j]);
                    }
                }
                float[] packed = c0.clone(), inPlace = c0.clone();
                if (mr == 6) {
                    GemmMicroKernel.wide6(kc, ap, 0, b, 0, packed, 0, ldc, alpha, overwrite);
                    GemmMicroKernel.wide6Rows(kc, aRows, base, b, 0, inPlace, 0, ldc, alpha, overwrite);
                } else {
                    GemmMicroKernel.wide4(kc, ap, 0, b, 0, packed, 0, ldc, alpha, overwrite);
                    GemmMicroKernel.wide4Rows(kc, aRows, base, b, 0, inPlace, 0, ldc, alpha, overwrite);
                }
                String what = mr + " × " + (nr / vl) + " vectors, overwrite " + overwrite;
                assertArrayEquals(want, packed, what + ", packed A");
                assertArrayEquals(want, inPlace, what + ", A in place");
            }
        }
        // The convolution kernels: 6 and 4 rows of A at base[r] + idx[k] times the packed B, into a tile.
        int[] idx = new int[kc];
        for (int k = 0; k < kc; k++) idx[k] = (k * 7) % (kc + 2);
        float[] t6 = new float[6 * nr], t4 = new float[4 * nr];
        ConvKernel.wide6(kc, aRows, base, idx, b, 0, nr, t6, 0);
        ConvKernel.wide4(kc, aRows, base, idx, b, 0, nr, t4, 0);
        for (int r = 0; r < 6; r++) {
            for (int j = 0; j < nr; j++) {
                float acc = 0f;
                for (int k = 0; k < kc; k++) acc = Math.fma(aRows[base[r] + idx[k]], b[k * nr + j], acc);
                org.junit.jupiter.api.Assertions.assertEquals(acc, t6[r * nr + j], "conv 6-row tile (" + r + ", " + j + ")");
                if (r < 4) org.junit.jupiter.api.Assertions.assertEquals(acc, t4[r * nr + j], "conv 4-row tile (" + r + ", " + j + ")");
            }
        }
    }

    @Test
    void zeroKClearsOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        Gemm.gemm(par2, 2, 2, 0, 1f, new float[0], 0, 0, 1, new float[0], 0, 2, 1, true, c, 0, 2);
        assertArrayEquals(new float[] {1, 2, 3, 4}, c);
        Gemm.gemm(par2, 2, 2, 0, 1f, new float[0], 0, 0, 1, new float[0], 0, 2, 1, false, c, 0, 2);
        assertArrayEquals(new float[4], c);
    }

    @Test
    void batchedWithBroadcastAndSummedOutput() {
        int g = 5;
        for (int[] s : new int[][] {{1, 784, 128}, {3, 33, 7}, {32, 50, 16}, {130, 9, 33}}) {
            int m = s[0], k = s[1], n = s[2];
            for (int mode = 0; mode < 4; mode++) {
                boolean broadcastA = mode == 1, broadcastB = mode == 2, sumC = mode == 3;
                float[] a = random(g * m * k, mode + 1), b = random(g * k * n, mode + 7);
                int aStride = broadcastA ? 0 : m * k, bStride = broadcastB ? 0 : k * n, cStride = sumC ? 0 : m * n;
                float[] c = new float[sumC ? m * n : g * m * n];
                Gemm.batched(par2, g, m, n, k, 1f, a, 0, aStride, k, 1, b, 0, bStride, n, 1, false, c, 0, cStride, n);
                double[] expected = new double[c.length];
                for (int q = 0; q < g; q++) {
                    double[] r = reference(m, n, k, 1f, new View(a, q * aStride, k, 1), new View(b, q * bStride, n, 1), null);
                    for (int i = 0; i < r.length; i++) expected[q * cStride + i] += r[i];
                }
                assertClose("batched " + g + "×" + m + "×" + n + "×" + k + " mode " + mode, expected, c, TOL);
            }
        }
    }

    /**
     * B read in place (row-major, whole 64-column panels, A read in place too) against the same B stored
     * column-major, which is packed, and against the f64 reference. Up to K = KC both run the same FMA chain, so
     * they agree bit for bit; beyond it the packed product adds its K passes' partial sums, while B read in place
     * takes K in one pass.
     */
    @Test
    void bReadInPlaceAgreesWithPackedBBitForBit() {
        for (int[] s : new int[][] {{13, 128, 300}, {64, 64, 512}, {7, 256, 33}, {66, 192, 515}, {64, 128, 784}, {5, 64, 1100}}) {
            int m = s[0], n = s[1], k = s[2];
            View a = View.random(m, k, false, m + 5L), b = View.random(k, n, false, n + 6L);
            float[] bt = new float[k * n];
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b.data()[b.off() + p * b.rs() + j];
            float[] direct = new float[m * n], packed = new float[m * n];
            Gemm.gemm(par2, m, n, k, 1f, a.data(), a.off(), a.rs(), 1, b.data(), b.off(), b.rs(), 1, false, direct, 0, n);
            Gemm.gemm(par2, m, n, k, 1f, a.data(), a.off(), a.rs(), 1, bt, 0, 1, k, false, packed, 0, n);
            String what = m + "×" + n + "×" + k;
            assertClose(what, reference(m, n, k, 1f, a, b, null), direct, TOL);
            assertClose(what + " packed", reference(m, n, k, 1f, a, b, null), packed, TOL);
            if (k <= Gemm.KC) org.junit.jupiter.api.Assertions.assertArrayEquals(packed, direct, what);
        }
    }

    /**
     * A contracted weight gradient: dG_c = xᵀ · dP_c for every c, x shared (and transposed), dP_c the transposed
     * view of [B, C, J], each dG_c written into the rows of a wider matrix. The shared A is laid out row-major once;
     * the products must equal the plain per-product GEMM bit for bit, and leave the gaps between C's rows alone.
     */
    @Test
    void sharedTransposedAIsLaidOutOnceAndAgreesBitForBit() {
        for (int[] s : new int[][] {{5, 37, 7, 20}, {7, 130, 33, 9}, {3, 64, 128, 64}}) {
            int g = s[0], m = s[1], n = s[2], k = s[3], ldc = n + 3, cStride = m * ldc + 11;
            float[] a = random(k * m + 2, g + 1), b = random(k * g * n, g + 2);
            float[] c = random(g * cStride, g + 3), want = c.clone();
            // A = xᵀ: element (i, p) at 2 + p·m + i; B_q: element (p, j) at q·n + p·g·n + j.
            Gemm.batched(par2, g, m, n, k, 1f, a, 2, 0, 1, m, b, 0, n, g * n, 1, false, c, 0, cStride, ldc);
            for (int q = 0; q < g; q++) {
                Gemm.gemm(null, m, n, k, 1f, a, 2, 1, m, b, q * n, g * n, 1, false, want, q * cStride, ldc);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, c, g + "×" + m + "×" + n + "×" + k);
        }
    }

    @Test
    void batchedTransposedSmallM() {
        // dx = dy · Wᵀ per sample: [G, 1, 128] · [G, 784, 128]ᵀ, and the weight gradient xᵀ · dy: [G, 784, 1] · [G, 1, 128].
        int g = 6, k = 128, n = 784;
        float[] dy = random(g * k, 1), w = random(g * n * k, 2), dx = new float[g * n];
        Gemm.batched(par2, g, 1, n, k, 1f, dy, 0, k, k, 1, w, 0, n * k, 1, k, false, dx, 0, n, n);
        double[] expected = new double[g * n];
        for (int q = 0; q < g; q++) {
            double[] r = reference(1, n, k, 1f, new View(dy, q * k, k, 1), new View(w, q * n * k, 1, k), null);
            System.arraycopy(r, 0, expected, q * n, n);
        }
        assertClose("dx", expected, dx, TOL);
        float[] dw = new float[g * n * k];
        Gemm.batched(par2, g, n, k, 1, 1f, dx, 0, n, 1, 1, dy, 0, k, k, 1, false, dw, 0, n * k, k);
        double[] e2 = new double[g * n * k];
        for (int q = 0; q < g; q++) {
            double[] r = reference(n, k, 1, 1f, new View(dx, q * n, 1, 1), new View(dy, q * k, k, 1), null);
            System.arraycopy(r, 0, e2, q * n * k, n * k);
        }
        assertClose("dw", e2, dw, TOL);
    }

    @Test
    void bitwiseDeterministicAndIndependentOfThreadCount() {
        int m = 300, n = 260, k = 517;
        float[] a = random(m * k, 5), b = random(k * n, 6);
        float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n];
        Gemm.gemm(par2, m, n, k, 1f, a, 0, k, 1, b, 0, n, 1, false, c1, 0, n);
        Gemm.gemm(par2, m, n, k, 1f, a, 0, k, 1, b, 0, n, 1, false, c2, 0, n);
        Gemm.gemm(null, m, n, k, 1f, a, 0, k, 1, b, 0, n, 1, false, c3, 0, n);
        assertArrayEquals(c1, c2);
        assertArrayEquals(c1, c3);
        try (Parallel par3 = new Parallel(3)) {
            float[] c4 = new float[m * n];
            Gemm.gemm(par3, m, n, k, 1f, a, 0, k, 1, b, 0, n, 1, false, c4, 0, n);
            assertArrayEquals(c1, c4);
        }
        // The batched GEMV path of per-sample weights, and a large GEMV split over the threads.
        int g = 9, kk = 784, nn = 130;
        float[] x = random(g * kk, 7), w = random(g * kk * nn, 8);
        float[] y1 = new float[g * nn], y2 = new float[g * nn], y3 = new float[g * nn];
        Gemm.batched(par2, g, 1, nn, kk, 1f, x, 0, kk, kk, 1, w, 0, kk * nn, nn, 1, false, y1, 0, nn, nn);
        Gemm.batched(par2, g, 1, nn, kk, 1f, x, 0, kk, kk, 1, w, 0, kk * nn, nn, 1, false, y2, 0, nn, nn);
        Gemm.batched(null, g, 1, nn, kk, 1f, x, 0, kk, kk, 1, w, 0, kk * nn, nn, 1, false, y3, 0, nn, nn);
        assertArrayEquals(y1, y2);
        assertArrayEquals(y1, y3);
        float[] v1 = new float[g * nn], v2 = new float[g * nn];
        Gemm.gemm(par2, 1, g * nn, kk, 1f, x, 0, kk, 1, w, 0, g * nn, 1, false, v1, 0, g * nn);
        Gemm.gemm(null, 1, g * nn, kk, 1f, x, 0, kk, 1, w, 0, g * nn, 1, false, v2, 0, g * nn);
        assertArrayEquals(v1, v2);
    }
}
