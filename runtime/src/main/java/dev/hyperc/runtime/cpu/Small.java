package dev.hyperc.runtime.cpu;

/** Kernels whose cost is small next to the matmuls and convolutions: plain loops over strided views. */
final class Small {
    private Small() {}

    /** Shape of x without one axis, and the stride walking that axis. */
    private static int outer(Strided x, int axis) {
        int n = 1;
        for (int i = 0; i < x.rank(); i++) if (i != axis) n *= x.shape()[i];
        return n;
    }

    /** Array index of element (outer index o with the axis removed, position j on the axis). */
    private static int index(Strided x, int axis, int o, int j) {
        int idx = x.base() + j * x.strides()[axis];
        for (int i = x.rank() - 1; i >= 0; i--) {
            if (i == axis) continue;
            int d = x.shape()[i];
            idx += (o % d) * x.strides()[i];
            o /= d;
        }
        return idx;
    }

    static void logSumExp(Strided out, Strided x, int axis) {
        int n = x.shape()[axis], m = outer(x, axis), st = x.strides()[axis];
        float[] d = x.data();
        for (int o = 0; o < m; o++) {
            int b = index(x, axis, o, 0);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, d[b + j * st]);
            if (max == Float.NEGATIVE_INFINITY) {
                out.set(o, max);
                continue;
            }
            double s = 0;
            for (int j = 0; j < n; j++) s += Math.exp(d[b + j * st] - max);
            out.set(o, (float) (max + Math.log(s)));
        }
    }

    static void argMax(Strided out, Strided x, int axis) {
        int n = x.shape()[axis], m = outer(x, axis), st = x.strides()[axis];
        float[] d = x.data();
        for (int o = 0; o < m; o++) {
            int b = index(x, axis, o, 0), best = 0;
            float max = d[b];
            for (int j = 1; j < n; j++) {
                if (d[b + j * st] > max) {
                    max = d[b + j * st];
                    best = j;
                }
            }
            out.set(o, best);
        }
    }

    static int id(Strided ids, int i, int rows, String op) {
        float v = ids.get(i);
        int k = (int) v;
        if (k != v || k < 0 || k >= rows) {
            throw new IllegalArgumentException(op + ": id " + v + " is out of range [0, " + rows + ")");
        }
        return k;
    }

    static void gather(Strided out, Strided table, Strided ids) {
        int rows = table.shape()[0], row = table.numel() / Math.max(1, rows), n = ids.numel();
        for (int i = 0; i < n; i++) {
            int k = id(ids, i, rows, "gather");
            for (int j = 0; j < row; j++) out.set(i * row + j, table.get(k * row + j));
        }
    }

    static void scatterAdd(Strided out, Strided ids, Strided upd) {
        fill(out, 0);
        int rows = out.shape()[0], row = out.numel() / Math.max(1, rows), n = ids.numel();
        for (int i = 0; i < n; i++) {
            int k = id(ids, i, rows, "scatter_add");
            for (int j = 0; j < row; j++) {
                int at = out.at(k * row + j);
                out.data()[at] += upd.get(i * row + j);
            }
        }
    }

    static void oneHot(Strided out, Strided ids) {
        fill(out, 0);
        int depth = out.shape()[out.rank() - 1], n = ids.numel();
        for (int i = 0; i < n; i++) out.set(i * depth + id(ids, i, depth, "one_hot"), 1f);
    }

    static void copy(Strided out, Strided in) {
        int n = out.numel();
        if (out.contiguous() && in.contiguous()) {
            System.arraycopy(in.data(), in.base(), out.data(), out.base(), n);
            return;
        }
        int r = out.rank();
        int inner = r == 0 ? 1 : out.shape()[r - 1];
        int os = r == 0 ? 0 : out.strides()[r - 1], is = r == 0 ? 0 : in.strides()[r - 1];
        for (int row = 0; row < n / Math.max(1, inner); row++) {
            int ob = out.at(row * inner), ib = in.at(row * inner);
            for (int j = 0; j < inner; j++) out.data()[ob + j * os] = in.data()[ib + j * is];
        }
    }

    static void fill(Strided out, float v) {
        if (out.contiguous()) {
            java.util.Arrays.fill(out.data(), out.base(), out.base() + out.numel(), v);
            return;
        }
        for (int i = 0, n = out.numel(); i < n; i++) out.set(i, v);
    }

    static void pairwise(Strided out, Strided x) {
        int n = x.shape()[0], d = x.shape()[1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    double t = x.get(i * d + k) - x.get(j * d + k);
                    s += t * t;
                }
                out.set(i * n + j, (float) Math.sqrt(s));
            }
        }
    }

    private static int nearestOf(Strided x, int i, double[] dist) {
        int n = x.shape()[0], d = x.shape()[1], best = -1;
        double bestD = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double s = 0;
            for (int k = 0; k < d; k++) {
                double t = x.get(i * d + k) - x.get(j * d + k);
                s += t * t;
            }
            if (s < bestD) {
                bestD = s;
                best = j;
            }
        }
        dist[0] = Math.sqrt(bestD);
        return best;
    }

    static void nearest(Strided out, Strided x) {
        double[] dist = new double[1];
        for (int i = 0; i < x.shape()[0]; i++) {
            nearestOf(x, i, dist);
            out.set(i, (float) dist[0]);
        }
    }

    static void nearestGrad(Strided out, Strided x, Strided dy) {
        fill(out, 0);
        int n = x.shape()[0], d = x.shape()[1];
        double[] dist = new double[1];
        for (int i = 0; i < n; i++) {
            int j = nearestOf(x, i, dist);
            double g = dy.get(i) / dist[0];
            for (int k = 0; k < d; k++) {
                double diff = x.get(i * d + k) - x.get(j * d + k);
                int a = out.at(i * d + k), b = out.at(j * d + k);
                out.data()[a] += (float) (g * diff);
                out.data()[b] -= (float) (g * diff);
            }
        }
    }
}
