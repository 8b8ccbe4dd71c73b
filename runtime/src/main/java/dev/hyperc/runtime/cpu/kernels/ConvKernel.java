package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked "implicit GEMM" kernels for {@link Conv2d}: like {@link GemmMicroKernel}, but the A operand is
 * read in place at {@code a[base[r] + idx[k]]}, a row offset plus a step offset. A convolution's receptive-field
 * matrix has exactly this separable form (pixel offset + tap offset into a zero-bordered image), so it never
 * has to be copied out (im2col) or packed. B is a small packed, zero-padded matrix (kernel or dyᵀ) read as
 * whole vectors; the MR × NR result goes to a tile that the caller scatters (to a transposed output, to the
 * receptive fields of dx, or onto a dk partial).
 */
final class ConvKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /**
     * Rows × columns of the wide (6 × 2 vectors, or 4 × 2 with 16 vector registers) and narrow (12 × 1 vector)
     * register blocks.
     */
    static final int MR = GemmMicroKernel.MR, NR = 2 * VL, MR_NARROW = 12, NR_NARROW = VL;
    /** Floats of the largest tile. */
    static final int TILE = Math.max(MR * NR, MR_NARROW * NR_NARROW);

    private ConvKernel() {}

    /** The wide block: {@link #wide6} or {@link #wide4}, as {@link #MR} says. */
    static void wide(int kk, float[] a, int[] base, int[] idx, float[] b, int bOff, int ldb, float[] tile, int tOff) {
        if (MR == 6) wide6(kk, a, base, idx, b, bOff, ldb, tile, tOff);
        else wide4(kk, a, base, idx, b, bOff, ldb, tile, tOff);
    }

    /**
     * tile[r·2·VL + j] = Σ_k a[base[r] + idx[k]] · b[bOff + k·ldb + j] for r < 6, j < 2·VL, k < kk.
     */
    static void wide6(int kk, float[] a, int[] base, int[] idx, float[] b, int bOff, int ldb, float[] tile, int tOff) {
        int a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3], a4 = base[4], a5 = base[5];
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int k = 0; k < kk; k++) {
            int o = idx[k], bi = bOff + k * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + 1 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + o]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, a[a1 + o]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + o]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, a[a3 + o]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, a[a4 + o]);
            c40 = x4.fma(b0, c40); c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, a[a5 + o]);
            c50 = x5.fma(b0, c50); c51 = x5.fma(b1, c51);
        }
        c00.intoArray(tile, tOff + 0 * VL + 0 * VL); c01.intoArray(tile, tOff + 0 * VL + 1 * VL);
        c10.intoArray(tile, tOff + 2 * VL + 0 * VL); c11.intoArray(tile, tOff + 2 * VL + 1 * VL);
        c20.intoArray(tile, tOff + 4 * VL + 0 * VL); c21.intoArray(tile, tOff + 4 * VL + 1 * VL);
        c30.intoArray(tile, tOff + 6 * VL + 0 * VL); c31.intoArray(tile, tOff + 6 * VL + 1 * VL);
        c40.intoArray(tile, tOff + 8 * VL + 0 * VL); c41.intoArray(tile, tOff + 8 * VL + 1 * VL);
        c50.intoArray(tile, tOff + 10 * VL + 0 * VL); c51.intoArray(tile, tOff + 10 * VL + 1 * VL);
    }

    /**
     * tile[r·1·VL + j] = Σ_k a[base[r] + idx[k]] · b[bOff + k·ldb + j] for r < 12, j < 1·VL, k < kk.
     */
    static void narrow(int kk, float[] a, int[] base, int[] idx, float[] b, int bOff, int ldb, float[] tile, int tOff) {
        int a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3], a4 = base[4], a5 = base[5], a6 = base[6], a7 = base[7], a8 = base[8], a9 = base[9], a10 = base[10], a11 = base[11];
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S);
        for (int k = 0; k < kk; k++) {
            int o = idx[k], bi = bOff + k * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bi + 0 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + o]);
            c00 = x0.fma(b0, c00);
            FloatVector x1 = FloatVector.broadcast(S, a[a1 + o]);
            c10 = x1.fma(b0, c10);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + o]);
            c20 = x2.fma(b0, c20);
            FloatVector x3 = FloatVector.broadcast(S, a[a3 + o]);
            c30 = x3.fma(b0, c30);
            FloatVector x4 = FloatVector.broadcast(S, a[a4 + o]);
            c40 = x4.fma(b0, c40);
            FloatVector x5 = FloatVector.broadcast(S, a[a5 + o]);
            c50 = x5.fma(b0, c50);
            FloatVector x6 = FloatVector.broadcast(S, a[a6 + o]);
            c60 = x6.fma(b0, c60);
            FloatVector x7 = FloatVector.broadcast(S, a[a7 + o]);
            c70 = x7.fma(b0, c70);
            FloatVector x8 = FloatVector.broadcast(S, a[a8 + o]);
            c80 = x8.fma(b0, c80);
            FloatVector x9 = FloatVector.broadcast(S, a[a9 + o]);
            c90 = x9.fma(b0, c90);
            FloatVector x10 = FloatVector.broadcast(S, a[a10 + o]);
            c100 = x10.fma(b0, c100);
            FloatVector x11 = FloatVector.broadcast(S, a[a11 + o]);
            c110 = x11.fma(b0, c110);
        }
        c00.intoArray(tile, tOff + 0 * VL + 0 * VL);
        c10.intoArray(tile, tOff + 1 * VL + 0 * VL);
        c20.intoArray(tile, tOff + 2 * VL + 0 * VL);
        c30.intoArray(tile, tOff + 3 * VL + 0 * VL);
        c40.intoArray(tile, tOff + 4 * VL + 0 * VL);
        c50.intoArray(tile, tOff + 5 * VL + 0 * VL);
        c60.intoArray(tile, tOff + 6 * VL + 0 * VL);
        c70.intoArray(tile, tOff + 7 * VL + 0 * VL);
        c80.intoArray(tile, tOff + 8 * VL + 0 * VL);
        c90.intoArray(tile, tOff + 9 * VL + 0 * VL);
        c100.intoArray(tile, tOff + 10 * VL + 0 * VL);
        c110.intoArray(tile, tOff + 11 * VL + 0 * VL);
    }

    /** As {@link #wide6} with four rows, for machines with 16 vector registers (see {@link GemmMicroKernel#wide4}). */
    static void wide4(int kk, float[] a, int[] base, int[] idx, float[] b, int bOff, int ldb, float[] tile, int tOff) {
        int a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3];
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int k = 0; k < kk; k++) {
            int o = idx[k], bi = bOff + k * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + 1 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + o]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, a[a1 + o]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + o]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, a[a3 + o]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
        }
        c00.intoArray(tile, tOff + 0 * VL + 0 * VL); c01.intoArray(tile, tOff + 0 * VL + 1 * VL);
        c10.intoArray(tile, tOff + 2 * VL + 0 * VL); c11.intoArray(tile, tOff + 2 * VL + 1 * VL);
        c20.intoArray(tile, tOff + 4 * VL + 0 * VL); c21.intoArray(tile, tOff + 4 * VL + 1 * VL);
        c30.intoArray(tile, tOff + 6 * VL + 0 * VL); c31.intoArray(tile, tOff + 6 * VL + 1 * VL);
    }
}
