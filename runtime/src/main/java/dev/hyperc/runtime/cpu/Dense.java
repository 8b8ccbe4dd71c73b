package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Op;

/**
 * Matmul, convolution and pooling on bound views. Conv and pool operands are dense row-major (the
 * scheduler copies strided ones); matmul reads any strides, including stride-0 broadcast batches.
 */
final class Dense {
    private Dense() {}

    // ---------------------------------------------------------------- matmul

    static void matmul(Strided c, Strided a, Strided b, Parallel pool) {
        int r = c.rank();
        int m = c.shape()[r - 2], n = c.shape()[r - 1], k = a.shape()[a.rank() - 1];
        int batch = c.numel() / Math.max(1, m * n);
        int[] bshape = java.util.Arrays.copyOf(c.shape(), r - 2);
        pool.forRange(batch * m, (t, from, to) -> {
            for (int row = from; row < to; row++) {
                int g = row / m, i = row % m;
                int ca = batchBase(c, bshape, g), aa = batchBase(a, bshape, g), ba = batchBase(b, bshape, g);
                Gemm.row(c.data(), ca + i * c.strides()[r - 2], c.strides()[r - 1],
                        a.data(), aa + i * a.strides()[a.rank() - 2], a.strides()[a.rank() - 1],
                        b.data(), ba, b.strides()[b.rank() - 2], b.strides()[b.rank() - 1], n, k);
            }
        });
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

    // ---------------------------------------------------------------- convolution (NCHW, optional leading group axis)

    private record ConvDims(int groups, int n, int c, int h, int w, int o, int kh, int kw, int ho, int wo) {}

    private static ConvDims dims(Strided x, Strided k, Strided y) {
        int g = x.rank() == 5 ? 1 : 0;
        int[] xs = x.shape(), ks = k.shape(), ys = y.shape();
        return new ConvDims(g == 1 ? xs[0] : 1, xs[g], xs[g + 1], xs[g + 2], xs[g + 3], ks[g], ks[g + 2], ks[g + 3], ys[g + 2], ys[g + 3]);
    }

    static void conv2d(Strided y, Strided x, Strided k, int[] s, int[] p, Parallel pool) {
        ConvDims d = dims(x, k, y);
        float[] xd = x.data(), kd = k.data(), yd = y.data();
        int xb = x.base(), kb = k.base(), yb = y.base();
        pool.forRange(d.groups * d.n, (t, from, to) -> {
            for (int gi = from; gi < to; gi++) {
                int g = gi / d.n, img = gi % d.n;
                int xo = xb + (g * d.n + img) * d.c * d.h * d.w, ko = kb + g * d.o * d.c * d.kh * d.kw;
                int yo = yb + (g * d.n + img) * d.o * d.ho * d.wo;
                for (int o = 0; o < d.o; o++) {
                    for (int oy = 0; oy < d.ho; oy++) {
                        for (int ox = 0; ox < d.wo; ox++) {
                            float acc = 0;
                            for (int c = 0; c < d.c; c++) {
                                for (int ky = 0; ky < d.kh; ky++) {
                                    int iy = oy * s[0] - p[0] + ky;
                                    if (iy < 0 || iy >= d.h) continue;
                                    int xrow = xo + (c * d.h + iy) * d.w, krow = ko + ((o * d.c + c) * d.kh + ky) * d.kw;
                                    for (int kx = 0; kx < d.kw; kx++) {
                                        int ix = ox * s[1] - p[2] + kx;
                                        if (ix >= 0 && ix < d.w) acc += xd[xrow + ix] * kd[krow + kx];
                                    }
                                }
                            }
                            yd[yo + (o * d.ho + oy) * d.wo + ox] = acc;
                        }
                    }
                }
            }
        });
    }

    static void conv2dGradInput(Strided dx, Strided dy, Strided k, int[] s, int[] p, Parallel pool) {
        ConvDims d = dims(dx, k, dy);
        float[] dxd = dx.data(), kd = k.data(), dyd = dy.data();
        int xb = dx.base(), kb = k.base(), yb = dy.base();
        pool.forRange(d.groups * d.n, (t, from, to) -> {
            for (int gi = from; gi < to; gi++) {
                int g = gi / d.n, img = gi % d.n;
                int xo = xb + (g * d.n + img) * d.c * d.h * d.w, ko = kb + g * d.o * d.c * d.kh * d.kw;
                int yo = yb + (g * d.n + img) * d.o * d.ho * d.wo;
                java.util.Arrays.fill(dxd, xo, xo + d.c * d.h * d.w, 0f);
                for (int o = 0; o < d.o; o++) {
                    for (int oy = 0; oy < d.ho; oy++) {
                        for (int ox = 0; ox < d.wo; ox++) {
                            float gy = dyd[yo + (o * d.ho + oy) * d.wo + ox];
                            if (gy == 0) continue;
                            for (int c = 0; c < d.c; c++) {
                                for (int ky = 0; ky < d.kh; ky++) {
                                    int iy = oy * s[0] - p[0] + ky;
                                    if (iy < 0 || iy >= d.h) continue;
                                    int xrow = xo + (c * d.h + iy) * d.w, krow = ko + ((o * d.c + c) * d.kh + ky) * d.kw;
                                    for (int kx = 0; kx < d.kw; kx++) {
                                        int ix = ox * s[1] - p[2] + kx;
                                        if (ix >= 0 && ix < d.w) dxd[xrow + ix] += gy * kd[krow + kx];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    static void conv2dGradKernel(Strided dk, Strided x, Strided dy, int[] s, int[] p, Parallel pool) {
        ConvDims d = dims(x, dk, dy);
        float[] dkd = dk.data(), xd = x.data(), dyd = dy.data();
        int xb = x.base(), kb = dk.base(), yb = dy.base();
        // Parallel over (group, output filter): each task owns its kernel slice, so no reduction races.
        pool.forRange(d.groups * d.o, (t, from, to) -> {
            for (int go = from; go < to; go++) {
                int g = go / d.o, o = go % d.o;
                int ko = kb + (g * d.o + o) * d.c * d.kh * d.kw;
                java.util.Arrays.fill(dkd, ko, ko + d.c * d.kh * d.kw, 0f);
                for (int img = 0; img < d.n; img++) {
                    int xo = xb + (g * d.n + img) * d.c * d.h * d.w;
                    int yo = yb + ((g * d.n + img) * d.o + o) * d.ho * d.wo;
                    for (int oy = 0; oy < d.ho; oy++) {
                        for (int ox = 0; ox < d.wo; ox++) {
                            float gy = dyd[yo + oy * d.wo + ox];
                            if (gy == 0) continue;
                            for (int c = 0; c < d.c; c++) {
                                for (int ky = 0; ky < d.kh; ky++) {
                                    int iy = oy * s[0] - p[0] + ky;
                                    if (iy < 0 || iy >= d.h) continue;
                                    int xrow = xo + (c * d.h + iy) * d.w, krow = ko + (c * d.kh + ky) * d.kw;
                                    for (int kx = 0; kx < d.kw; kx++) {
                                        int ix = ox * s[1] - p[2] + kx;
                                        if (ix >= 0 && ix < d.w) dkd[krow + kx] += gy * xd[xrow + ix];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- pooling over the last two axes

    static void pool(Op.PoolKind kind, Strided y, Strided x, int[] win, int[] s, int[] p) {
        int r = x.rank(), h = x.shape()[r - 2], w = x.shape()[r - 1], ho = y.shape()[r - 2], wo = y.shape()[r - 1];
        int planes = x.numel() / (h * w);
        float[] xd = x.data(), yd = y.data();
        for (int pl = 0; pl < planes; pl++) {
            int xo = x.base() + pl * h * w, yo = y.base() + pl * ho * wo;
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    double sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < win[0]; ky++) {
                        int iy = oy * s[0] - p[0] + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < win[1]; kx++) {
                            int ix = ox * s[1] - p[2] + kx;
                            if (ix < 0 || ix >= w) continue;
                            float v = xd[xo + iy * w + ix];
                            if (v > best) best = v;
                            sum += v;
                            count++;
                        }
                    }
                    yd[yo + oy * wo + ox] = kind == Op.PoolKind.MAX ? best : (float) (sum / count);
                }
            }
        }
    }

    static void poolGrad(Op.PoolKind kind, Strided dx, Strided x, Strided dy, int[] win, int[] s, int[] p) {
        int r = x.rank(), h = x.shape()[r - 2], w = x.shape()[r - 1], ho = dy.shape()[r - 2], wo = dy.shape()[r - 1];
        int planes = x.numel() / (h * w);
        float[] xd = x.data(), dxd = dx.data(), dyd = dy.data();
        java.util.Arrays.fill(dxd, dx.base(), dx.base() + dx.numel(), 0f);
        for (int pl = 0; pl < planes; pl++) {
            int xo = x.base() + pl * h * w, go = dx.base() + pl * h * w, yo = dy.base() + pl * ho * wo;
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float g = dyd[yo + oy * wo + ox];
                    int bestAt = -1, count = 0;
                    float best = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < win[0]; ky++) {
                        int iy = oy * s[0] - p[0] + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < win[1]; kx++) {
                            int ix = ox * s[1] - p[2] + kx;
                            if (ix < 0 || ix >= w) continue;
                            count++;
                            float v = xd[xo + iy * w + ix];
                            if (v > best) {
                                best = v;
                                bestAt = iy * w + ix;
                            }
                        }
                    }
                    if (kind == Op.PoolKind.MAX) {
                        if (bestAt >= 0) dxd[go + bestAt] += g;
                    } else {
                        float share = g / count;
                        for (int ky = 0; ky < win[0]; ky++) {
                            int iy = oy * s[0] - p[0] + ky;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < win[1]; kx++) {
                                int ix = ox * s[1] - p[2] + kx;
                                if (ix >= 0 && ix < w) dxd[go + iy * w + ix] += share;
                            }
                        }
                    }
                }
            }
        }
    }
}
