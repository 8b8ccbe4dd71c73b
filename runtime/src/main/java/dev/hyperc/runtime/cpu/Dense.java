package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.runtime.cpu.kernels.Conv2d;
import dev.hyperc.runtime.cpu.kernels.Gemm;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import dev.hyperc.runtime.cpu.kernels.Pool2d;

/**
 * Binds matmul, convolution and pooling kernels to the packed, register-blocked implementations in
 * {@code kernels}. Conv and pool operands are dense row-major (the scheduler copies strided ones);
 * matmul reads any strides, including stride-0 broadcast batches.
 */
final class Dense {
    private Dense() {}

    /** c[..., M, N] = a[..., M, K] · b[..., K, N]; c's rows are contiguous (a piece of a larger buffer is fine). */
    static Runnable matmul(Strided c, Strided a, Strided b, Parallel pool) {
        return matmul(c, a, b, pool, null);
    }

    /** As above, then {@code epi} (may be null; only for matrices, rank 2) on the blocks of c as they are finished. */
    static Runnable matmul(Strided c, Strided a, Strided b, Parallel pool, Gemm.Epilogue epi) {
        int r = c.rank(), ar = a.rank(), br = b.rank();
        int m = c.shape()[r - 2], n = c.shape()[r - 1], k = a.shape()[ar - 1];
        int aRs = a.strides()[ar - 2], aCs = a.strides()[ar - 1], bRs = b.strides()[br - 2], bCs = b.strides()[br - 1];
        int batchRank = r - 2;
        if (c.strides()[r - 1] != 1 && n > 1) throw new IllegalStateException("a product's output rows must be contiguous");
        int ldc = m == 1 ? n : c.strides()[r - 2];
        int count = c.numel() / Math.max(1, m * n);
        int[] bshape = java.util.Arrays.copyOf(c.shape(), batchRank);
        if (m == 1 && bRs == 1 && bCs >= k && batchRank <= 1) {
            // x · Bᵀ with B stored row-major (the backward pass of a layer with one input row): dot products
            // along B's contiguous rows, instead of a GEMV that would stride across them.
            int aStride = stride(a, batchRank), bStride = stride(b, batchRank), cStride = stride(c, batchRank);
            return () -> {
                for (int g = 0; g < count; g++) {
                    int ao = a.base() + g * aStride, bo = b.base() + g * bStride, co = c.base() + g * cStride;
                    if (aCs != 1) throw new IllegalStateException("row-vector operand must be dense");
                    pool.forChunks(n, (t, from, to) -> {
                        for (int j = from; j < to; j++) c.data()[co + j] = dot(a.data(), ao, b.data(), bo + j * bCs, k);
                    });
                }
                if (epi != null) epi.apply(0, m, 0, n);
            };
        }
        if (epi != null) {
            if (batchRank != 0) throw new IllegalStateException("a matmul epilogue needs a rank-2 product");
            return () -> Gemm.gemm(pool, m, n, k, 1f, a.data(), a.base(), aRs, aCs, b.data(), b.base(), bRs, bCs, false,
                    c.data(), c.base(), ldc, epi);
        }
        if (batchRank <= 1) {
            int aStride = stride(a, batchRank), bStride = stride(b, batchRank), cStride = stride(c, batchRank);
            return () -> Gemm.batched(pool, count, m, n, k, 1f, a.data(), a.base(), aStride, aRs, aCs,
                    b.data(), b.base(), bStride, bRs, bCs, false, c.data(), c.base(), cStride, ldc);
        }
        int[] aOff = new int[count], bOff = new int[count], cOff = new int[count];
        for (int g = 0; g < count; g++) {
            aOff[g] = batchBase(a, bshape, g);
            bOff[g] = batchBase(b, bshape, g);
            cOff[g] = batchBase(c, bshape, g);
        }
        return () -> {
            for (int g = 0; g < count; g++) {
                Gemm.gemm(pool, m, n, k, 1f, a.data(), aOff[g], aRs, aCs, b.data(), bOff[g], bRs, bCs, false, c.data(), cOff[g], ldc);
            }
        };
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;

    static float dot(float[] x, int xo, float[] y, int yo, int k) {
        var acc = jdk.incubator.vector.FloatVector.zero(S);
        int i = 0;
        for (; i <= k - S.length(); i += S.length()) {
            acc = jdk.incubator.vector.FloatVector.fromArray(S, x, xo + i).fma(jdk.incubator.vector.FloatVector.fromArray(S, y, yo + i), acc);
        }
        float s = dev.hyperc.runtime.cpu.kernels.Lanes.sum(acc);
        for (; i < k; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /** Batch stride of x for a single batch axis (0 when x has no batch axis or broadcasts it). */
    private static int stride(Strided x, int batchRank) {
        if (batchRank == 0) return 0;
        int xb = x.rank() - 2;
        return xb == 0 || x.shape()[0] == 1 ? 0 : x.strides()[0];
    }

    /** Array index of batch element g's matrix in x, where x's batch axes broadcast (right-aligned) to bshape. */
    private static int batchBase(Strided x, int[] bshape, int g) {
        int idx = x.base();
        int xb = x.rank() - 2, extra = bshape.length - xb;
        for (int i = bshape.length - 1; i >= 0; i--) {
            int d = bshape[i], gi = g % d;
            g /= d;
            int xi = i - extra;
            if (xi >= 0 && x.shape()[xi] != 1) idx += gi * x.strides()[xi];
        }
        return idx;
    }

    /** A convolution kernel object for the geometry of x[G?, N, C, H, W], k[G?, O, C, KH, KW]. */
    static Conv2d conv(Strided x, Strided k, int[] s, int[] p) {
        int g = x.rank() == 5 ? 1 : 0;
        int[] xs = x.shape(), ks = k.shape();
        return new Conv2d(g == 1 ? xs[0] : 1, xs[g], xs[g + 1], xs[g + 2], xs[g + 3], ks[g], ks[g + 2], ks[g + 3],
                s[0], s[1], p[0], p[1], p[2], p[3]);
    }

    static Pool2d pool(Op.PoolKind kind, Strided x, int[] win, int[] s, int[] p) {
        int r = x.rank();
        int h = x.shape()[r - 2], w = x.shape()[r - 1];
        return new Pool2d(kind == Op.PoolKind.MAX ? Pool2d.Kind.MAX : Pool2d.Kind.AVG, x.numel() / (h * w), h, w, win[0], win[1],
                s[0], s[1], p[0], p[1], p[2], p[3]);
    }
}
