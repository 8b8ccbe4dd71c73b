package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernels: an MR × NR block of C held in vector registers, fed from packed panels so that every
 * load in the inner loop is contiguous and bounds-check-eliminable. Two shapes with 12 accumulators (8 for the wide
 * one where there are only 16 vector registers), and a third with 24 where there are 32:
 * <ul>
 *   <li>{@link #wide}: 6 rows × 2 vectors (6 × 32 floats with AVX-512), the default; 4 rows × 2 vectors
 *       (4 × 16 floats) on machines with 16 vector registers (AVX2), where 6 × 2 spills;</li>
 *   <li>{@link #narrow}: 12 rows × 1 vector (12 × 16), for products whose N is at most one vector more than a
 *       multiple of two, e.g. a conv layer with 16 output channels, where the wide kernel would waste half its
 *       lanes on padding.</li>
 * </ul>
 *
 * <p>Why these shapes: on this machine (AMD EPYC Zen 4, AVX-512, 2 cores) a standalone sweep over packed,
 * L2-resident panels gave 106–116 GFLOP/s per core for every shape from 4×2 to 8×3 vectors, i.e. any of them runs
 * at the FMA throughput limit; 6×2 has the least edge waste for the N = 16·2ⁱ widths of the models' layers. Larger
 * blocks (12×2, 14×2) gained nothing and would spill on 256-bit machines (16 vector registers). The 12×1 kernel
 * reaches ~85% of 6×2 (one B load feeds 12 FMAs but needs 12 broadcasts), which beats 50% lane use.
 *
 * <p>On an AMD EPYC Zen 3 (AVX2, 16 vector registers) the same sweep (single core, kc = 256 and 512) gave 38–39
 * GFLOP/s for 6×2: its 12 accumulators, 2 B vectors and a broadcast take 15 of the 16 registers and C2 spills. 4×2,
 * 5×2 and 3×3 gave 91–96, 2×4 87–90 and 12×1 57–85; 4×2 is the wide block there (no edge waste for the models'
 * batch sizes, which are multiples of 4).
 *
 * <p>On an Intel Xeon (Ice Lake server, AVX-512) the same sweep (single core, kc = 256) gave 75–83 GFLOP/s for 6×2,
 * 68–89 for 4×3, 4×5 and 4×6, 85 for 5×5, 95–102 for 7×3, 8×3 and 12×2, and 107–113 for 6×4: there the FMAs need
 * more independent accumulators to hide their latency, so with 32 vector registers a third shape, {@link #wider}
 * (6 × 4 vectors), takes the wide products.
 *
 * <p>Written out in full, every row and vector unrolled into a local: C2 keeps such locals in registers, whereas an
 * array of vectors would be boxed.
 */
final class GemmMicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /**
     * Whether the machine has 32 vector registers (AVX-512) rather than 16 (AVX2): the preferred vector size tells,
     * since C2 uses the upper 16 registers only with the 512-bit EVEX encoding.
     */
    static final boolean REGISTERS_32 = S.vectorBitSize() >= 512;
    /** Rows × columns of the wide kernel's register block: 6 × 2 vectors, or 4 × 2 with 16 registers ({@link #wide4}). */
    static final int MR = REGISTERS_32 ? 6 : 4, NR = 2 * VL;
    /** Rows × columns of the narrow kernel's register block. */
    static final int MR_NARROW = 12, NR_NARROW = VL;
    /** Rows × columns of the wider (6 × 4 vectors) kernel, and whether this machine has the registers for it. */
    static final int MR_WIDER = 6, NR_WIDER = 4 * VL;
    static final boolean HAS_WIDER = REGISTERS_32;

    private GemmMicroKernel() {}

    /** C[MR × 2·VL] (+)= alpha · Ap · Bp: {@link #wide6} or {@link #wide4}, as {@link #MR} says (a constant, folded by C2). */
    static void wide(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        if (MR == 6) wide6(kc, ap, ao, bp, bo, c, co, ldc, alpha, overwrite);
        else wide4(kc, ap, ao, bp, bo, c, co, ldc, alpha, overwrite);
    }

    /** As {@link #wide}, with A read in place ({@link #wide6Rows} or {@link #wide4Rows}). */
    static void wideRows(int kc, float[] a, int[] base, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        if (MR == 6) wide6Rows(kc, a, base, bp, bo, c, co, ldc, alpha, overwrite);
        else wide4Rows(kc, a, base, bp, bo, c, co, ldc, alpha, overwrite);
    }

    /**
     * C[6 × 2·VL] (+)= alpha · Ap · Bp over {@code kc} steps. Ap is a packed A micro-panel ({@code ap[ao + p·6 + r]}),
     * Bp a packed B micro-panel ({@code bp[bo + p·NR + j]}). The 6·2 accumulators, 2 B vectors and one
     * broadcast A value stay in vector registers; C is read and written once per call.
     */
    static void wide6(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            c41.mul(al).intoArray(c, o4 + 1 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            c51.mul(al).intoArray(c, o5 + 1 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            c41.fma(al, FloatVector.fromArray(S, c, o4 + 1 * VL)).intoArray(c, o4 + 1 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            c51.fma(al, FloatVector.fromArray(S, c, o5 + 1 * VL)).intoArray(c, o5 + 1 * VL);
        }
    }

    /**
     * C[12 × 1·VL] (+)= alpha · Ap · Bp over {@code kc} steps. Ap is a packed A micro-panel ({@code ap[ao + p·12 + r]}),
     * Bp a packed B micro-panel ({@code bp[bo + p·NR_NARROW + j]}). The 12·1 accumulators, 1 B vectors and one
     * broadcast A value stay in vector registers; C is read and written once per call.
     */
    static void narrow(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
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
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR_NARROW, ai = ao + p * MR_NARROW;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = a8.fma(b0, c80);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = a9.fma(b0, c90);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a10.fma(b0, c100);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a11.fma(b0, c110);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            int o6 = co + 6 * ldc;
            c60.mul(al).intoArray(c, o6 + 0 * VL);
            int o7 = co + 7 * ldc;
            c70.mul(al).intoArray(c, o7 + 0 * VL);
            int o8 = co + 8 * ldc;
            c80.mul(al).intoArray(c, o8 + 0 * VL);
            int o9 = co + 9 * ldc;
            c90.mul(al).intoArray(c, o9 + 0 * VL);
            int o10 = co + 10 * ldc;
            c100.mul(al).intoArray(c, o10 + 0 * VL);
            int o11 = co + 11 * ldc;
            c110.mul(al).intoArray(c, o11 + 0 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            int o6 = co + 6 * ldc;
            c60.fma(al, FloatVector.fromArray(S, c, o6 + 0 * VL)).intoArray(c, o6 + 0 * VL);
            int o7 = co + 7 * ldc;
            c70.fma(al, FloatVector.fromArray(S, c, o7 + 0 * VL)).intoArray(c, o7 + 0 * VL);
            int o8 = co + 8 * ldc;
            c80.fma(al, FloatVector.fromArray(S, c, o8 + 0 * VL)).intoArray(c, o8 + 0 * VL);
            int o9 = co + 9 * ldc;
            c90.fma(al, FloatVector.fromArray(S, c, o9 + 0 * VL)).intoArray(c, o9 + 0 * VL);
            int o10 = co + 10 * ldc;
            c100.fma(al, FloatVector.fromArray(S, c, o10 + 0 * VL)).intoArray(c, o10 + 0 * VL);
            int o11 = co + 11 * ldc;
            c110.fma(al, FloatVector.fromArray(S, c, o11 + 0 * VL)).intoArray(c, o11 + 0 * VL);
        }
    }

    /**
     * As {@link #wide6}, but A is read in place, row-major: element (r, p) is {@code a[base[r] + p]}. Used when
     * packing A would cost more than it saves (N small, so each A panel meets few B panels).
     */
    static void wide6Rows(int kc, float[] a, int[] base, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        int r0 = base[0], r1 = base[1], r2 = base[2], r3 = base[3], r4 = base[4], r5 = base[5];
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + p]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + p]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            c41.mul(al).intoArray(c, o4 + 1 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            c51.mul(al).intoArray(c, o5 + 1 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            c41.fma(al, FloatVector.fromArray(S, c, o4 + 1 * VL)).intoArray(c, o4 + 1 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            c51.fma(al, FloatVector.fromArray(S, c, o5 + 1 * VL)).intoArray(c, o5 + 1 * VL);
        }
    }

    /**
     * As {@link #narrow}, but A is read in place, row-major: element (r, p) is {@code a[base[r] + p]}. Used when
     * packing A would cost more than it saves (N small, so each A panel meets few B panels).
     */
    static void narrowRows(int kc, float[] a, int[] base, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        int r0 = base[0], r1 = base[1], r2 = base[2], r3 = base[3], r4 = base[4], r5 = base[5], r6 = base[6], r7 = base[7], r8 = base[8], r9 = base[9], r10 = base[10], r11 = base[11];
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
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR_NARROW;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = a0.fma(b0, c00);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = a1.fma(b0, c10);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = a2.fma(b0, c20);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = a3.fma(b0, c30);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + p]);
            c40 = a4.fma(b0, c40);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + p]);
            c50 = a5.fma(b0, c50);
            FloatVector a6 = FloatVector.broadcast(S, a[r6 + p]);
            c60 = a6.fma(b0, c60);
            FloatVector a7 = FloatVector.broadcast(S, a[r7 + p]);
            c70 = a7.fma(b0, c70);
            FloatVector a8 = FloatVector.broadcast(S, a[r8 + p]);
            c80 = a8.fma(b0, c80);
            FloatVector a9 = FloatVector.broadcast(S, a[r9 + p]);
            c90 = a9.fma(b0, c90);
            FloatVector a10 = FloatVector.broadcast(S, a[r10 + p]);
            c100 = a10.fma(b0, c100);
            FloatVector a11 = FloatVector.broadcast(S, a[r11 + p]);
            c110 = a11.fma(b0, c110);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            int o6 = co + 6 * ldc;
            c60.mul(al).intoArray(c, o6 + 0 * VL);
            int o7 = co + 7 * ldc;
            c70.mul(al).intoArray(c, o7 + 0 * VL);
            int o8 = co + 8 * ldc;
            c80.mul(al).intoArray(c, o8 + 0 * VL);
            int o9 = co + 9 * ldc;
            c90.mul(al).intoArray(c, o9 + 0 * VL);
            int o10 = co + 10 * ldc;
            c100.mul(al).intoArray(c, o10 + 0 * VL);
            int o11 = co + 11 * ldc;
            c110.mul(al).intoArray(c, o11 + 0 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            int o6 = co + 6 * ldc;
            c60.fma(al, FloatVector.fromArray(S, c, o6 + 0 * VL)).intoArray(c, o6 + 0 * VL);
            int o7 = co + 7 * ldc;
            c70.fma(al, FloatVector.fromArray(S, c, o7 + 0 * VL)).intoArray(c, o7 + 0 * VL);
            int o8 = co + 8 * ldc;
            c80.fma(al, FloatVector.fromArray(S, c, o8 + 0 * VL)).intoArray(c, o8 + 0 * VL);
            int o9 = co + 9 * ldc;
            c90.fma(al, FloatVector.fromArray(S, c, o9 + 0 * VL)).intoArray(c, o9 + 0 * VL);
            int o10 = co + 10 * ldc;
            c100.fma(al, FloatVector.fromArray(S, c, o10 + 0 * VL)).intoArray(c, o10 + 0 * VL);
            int o11 = co + 11 * ldc;
            c110.fma(al, FloatVector.fromArray(S, c, o11 + 0 * VL)).intoArray(c, o11 + 0 * VL);
        }
    }

    /**
     * C[6 × 4·VL] (+)= alpha · Ap · Bp over {@code kc} steps, as {@link #wide} with twice the columns: 24 accumulators,
     * 4 B vectors and one broadcast A value, 29 of the 32 vector registers of AVX-512. Only used with 32 registers.
     */
    static void wider(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR_WIDER, ai = ao + p * MR_WIDER;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02); c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12); c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22); c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31); c32 = a3.fma(b2, c32); c33 = a3.fma(b3, c33);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41); c42 = a4.fma(b2, c42); c43 = a4.fma(b3, c43);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51); c52 = a5.fma(b2, c52); c53 = a5.fma(b3, c53);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            c02.mul(al).intoArray(c, o0 + 2 * VL);
            c03.mul(al).intoArray(c, o0 + 3 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            c12.mul(al).intoArray(c, o1 + 2 * VL);
            c13.mul(al).intoArray(c, o1 + 3 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            c22.mul(al).intoArray(c, o2 + 2 * VL);
            c23.mul(al).intoArray(c, o2 + 3 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
            c32.mul(al).intoArray(c, o3 + 2 * VL);
            c33.mul(al).intoArray(c, o3 + 3 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            c41.mul(al).intoArray(c, o4 + 1 * VL);
            c42.mul(al).intoArray(c, o4 + 2 * VL);
            c43.mul(al).intoArray(c, o4 + 3 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            c51.mul(al).intoArray(c, o5 + 1 * VL);
            c52.mul(al).intoArray(c, o5 + 2 * VL);
            c53.mul(al).intoArray(c, o5 + 3 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            c02.fma(al, FloatVector.fromArray(S, c, o0 + 2 * VL)).intoArray(c, o0 + 2 * VL);
            c03.fma(al, FloatVector.fromArray(S, c, o0 + 3 * VL)).intoArray(c, o0 + 3 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            c12.fma(al, FloatVector.fromArray(S, c, o1 + 2 * VL)).intoArray(c, o1 + 2 * VL);
            c13.fma(al, FloatVector.fromArray(S, c, o1 + 3 * VL)).intoArray(c, o1 + 3 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            c22.fma(al, FloatVector.fromArray(S, c, o2 + 2 * VL)).intoArray(c, o2 + 2 * VL);
            c23.fma(al, FloatVector.fromArray(S, c, o2 + 3 * VL)).intoArray(c, o2 + 3 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
            c32.fma(al, FloatVector.fromArray(S, c, o3 + 2 * VL)).intoArray(c, o3 + 2 * VL);
            c33.fma(al, FloatVector.fromArray(S, c, o3 + 3 * VL)).intoArray(c, o3 + 3 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            c41.fma(al, FloatVector.fromArray(S, c, o4 + 1 * VL)).intoArray(c, o4 + 1 * VL);
            c42.fma(al, FloatVector.fromArray(S, c, o4 + 2 * VL)).intoArray(c, o4 + 2 * VL);
            c43.fma(al, FloatVector.fromArray(S, c, o4 + 3 * VL)).intoArray(c, o4 + 3 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            c51.fma(al, FloatVector.fromArray(S, c, o5 + 1 * VL)).intoArray(c, o5 + 1 * VL);
            c52.fma(al, FloatVector.fromArray(S, c, o5 + 2 * VL)).intoArray(c, o5 + 2 * VL);
            c53.fma(al, FloatVector.fromArray(S, c, o5 + 3 * VL)).intoArray(c, o5 + 3 * VL);
        }
    }

    /**
     * As {@link #wider}, but A is read in place, row-major: element (r, p) is {@code a[base[r] + p]}; and row p of
     * B's panel is at {@code bp[bo + p·ldb]}: {@code ldb} is {@link #NR_WIDER} for a packed panel, or B's own row
     * stride when B is read in place ({@link Gemm#directB}).
     */
    static void widerRows(int kc, float[] a, int[] base, float[] bp, int bo, int ldb, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        int r0 = base[0], r1 = base[1], r2 = base[2], r3 = base[3], r4 = base[4], r5 = base[5];
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * VL);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02); c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12); c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22); c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31); c32 = a3.fma(b2, c32); c33 = a3.fma(b3, c33);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + p]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41); c42 = a4.fma(b2, c42); c43 = a4.fma(b3, c43);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + p]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51); c52 = a5.fma(b2, c52); c53 = a5.fma(b3, c53);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            c02.mul(al).intoArray(c, o0 + 2 * VL);
            c03.mul(al).intoArray(c, o0 + 3 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            c12.mul(al).intoArray(c, o1 + 2 * VL);
            c13.mul(al).intoArray(c, o1 + 3 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            c22.mul(al).intoArray(c, o2 + 2 * VL);
            c23.mul(al).intoArray(c, o2 + 3 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
            c32.mul(al).intoArray(c, o3 + 2 * VL);
            c33.mul(al).intoArray(c, o3 + 3 * VL);
            int o4 = co + 4 * ldc;
            c40.mul(al).intoArray(c, o4 + 0 * VL);
            c41.mul(al).intoArray(c, o4 + 1 * VL);
            c42.mul(al).intoArray(c, o4 + 2 * VL);
            c43.mul(al).intoArray(c, o4 + 3 * VL);
            int o5 = co + 5 * ldc;
            c50.mul(al).intoArray(c, o5 + 0 * VL);
            c51.mul(al).intoArray(c, o5 + 1 * VL);
            c52.mul(al).intoArray(c, o5 + 2 * VL);
            c53.mul(al).intoArray(c, o5 + 3 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            c02.fma(al, FloatVector.fromArray(S, c, o0 + 2 * VL)).intoArray(c, o0 + 2 * VL);
            c03.fma(al, FloatVector.fromArray(S, c, o0 + 3 * VL)).intoArray(c, o0 + 3 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            c12.fma(al, FloatVector.fromArray(S, c, o1 + 2 * VL)).intoArray(c, o1 + 2 * VL);
            c13.fma(al, FloatVector.fromArray(S, c, o1 + 3 * VL)).intoArray(c, o1 + 3 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            c22.fma(al, FloatVector.fromArray(S, c, o2 + 2 * VL)).intoArray(c, o2 + 2 * VL);
            c23.fma(al, FloatVector.fromArray(S, c, o2 + 3 * VL)).intoArray(c, o2 + 3 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
            c32.fma(al, FloatVector.fromArray(S, c, o3 + 2 * VL)).intoArray(c, o3 + 2 * VL);
            c33.fma(al, FloatVector.fromArray(S, c, o3 + 3 * VL)).intoArray(c, o3 + 3 * VL);
            int o4 = co + 4 * ldc;
            c40.fma(al, FloatVector.fromArray(S, c, o4 + 0 * VL)).intoArray(c, o4 + 0 * VL);
            c41.fma(al, FloatVector.fromArray(S, c, o4 + 1 * VL)).intoArray(c, o4 + 1 * VL);
            c42.fma(al, FloatVector.fromArray(S, c, o4 + 2 * VL)).intoArray(c, o4 + 2 * VL);
            c43.fma(al, FloatVector.fromArray(S, c, o4 + 3 * VL)).intoArray(c, o4 + 3 * VL);
            int o5 = co + 5 * ldc;
            c50.fma(al, FloatVector.fromArray(S, c, o5 + 0 * VL)).intoArray(c, o5 + 0 * VL);
            c51.fma(al, FloatVector.fromArray(S, c, o5 + 1 * VL)).intoArray(c, o5 + 1 * VL);
            c52.fma(al, FloatVector.fromArray(S, c, o5 + 2 * VL)).intoArray(c, o5 + 2 * VL);
            c53.fma(al, FloatVector.fromArray(S, c, o5 + 3 * VL)).intoArray(c, o5 + 3 * VL);
        }
    }

    /**
     * C[4 × 2·VL] (+)= alpha · Ap · Bp over {@code kc} steps: {@link #wide6} with four rows, for machines with 16
     * vector registers, where 6 × 2 accumulators, 2 B vectors and a broadcast leave C2 no register to spare and it
     * spills (measured on an AMD EPYC Zen 3 with AVX2: 38 GFLOP/s per core for 6 × 2 against 91–95 for 4 × 2).
     */
    static void wide4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
        }
    }

    /** As {@link #wide4}, but A is read in place, row-major: element (r, p) is {@code a[base[r] + p]}. */
    static void wide4Rows(int kc, float[] a, int[] base, float[] bp, int bo, float[] c, int co, int ldc, float alpha, boolean overwrite) {
        int r0 = base[0], r1 = base[1], r2 = base[2], r3 = base[3];
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * VL);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        if (overwrite) {
            int o0 = co + 0 * ldc;
            c00.mul(al).intoArray(c, o0 + 0 * VL);
            c01.mul(al).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.mul(al).intoArray(c, o1 + 0 * VL);
            c11.mul(al).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.mul(al).intoArray(c, o2 + 0 * VL);
            c21.mul(al).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.mul(al).intoArray(c, o3 + 0 * VL);
            c31.mul(al).intoArray(c, o3 + 1 * VL);
        } else {
            int o0 = co + 0 * ldc;
            c00.fma(al, FloatVector.fromArray(S, c, o0 + 0 * VL)).intoArray(c, o0 + 0 * VL);
            c01.fma(al, FloatVector.fromArray(S, c, o0 + 1 * VL)).intoArray(c, o0 + 1 * VL);
            int o1 = co + 1 * ldc;
            c10.fma(al, FloatVector.fromArray(S, c, o1 + 0 * VL)).intoArray(c, o1 + 0 * VL);
            c11.fma(al, FloatVector.fromArray(S, c, o1 + 1 * VL)).intoArray(c, o1 + 1 * VL);
            int o2 = co + 2 * ldc;
            c20.fma(al, FloatVector.fromArray(S, c, o2 + 0 * VL)).intoArray(c, o2 + 0 * VL);
            c21.fma(al, FloatVector.fromArray(S, c, o2 + 1 * VL)).intoArray(c, o2 + 1 * VL);
            int o3 = co + 3 * ldc;
            c30.fma(al, FloatVector.fromArray(S, c, o3 + 0 * VL)).intoArray(c, o3 + 0 * VL);
            c31.fma(al, FloatVector.fromArray(S, c, o3 + 1 * VL)).intoArray(c, o3 + 1 * VL);
        }
    }
}
