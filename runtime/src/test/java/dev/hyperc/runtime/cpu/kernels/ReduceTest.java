package dev.hyperc.runtime.cpu.kernels;

import static dev.hyperc.runtime.cpu.kernels.KernelTesting.assertClose;
import static dev.hyperc.runtime.cpu.kernels.KernelTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReduceTest {
    static double[] reference(Reduce.Fn fn, float[] x, int off, int outer, int n, int inner) {
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) {
            double a = fn == Reduce.Fn.SUM ? 0 : fn == Reduce.Fn.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            for (int k = 0; k < n; k++) {
                double v = x[off + (o * n + k) * inner + i];
                a = switch (fn) {
                    case SUM -> a + v;
                    case MAX -> Math.max(a, v);
                    case MIN -> Math.min(a, v);
                };
            }
            out[o * inner + i] = a;
        }
        return out;
    }

    @Test
    void everyAxisShape() {
        int[] sizes = {1, 3, 16, 17, 33, 100};
        try (Parallel par = new Parallel(2)) {
            for (Reduce.Fn fn : Reduce.Fn.values()) for (int outer : new int[] {1, 2, 5}) for (int n : sizes) for (int inner : sizes) {
                float[] x = random(2 + outer * n * inner, outer * 1000L + n * 10L + inner);
                double[] expected = reference(fn, x, 2, outer, n, inner);
                for (Parallel p : new Parallel[] {null, par}) {
                    float[] out = new float[outer * inner + 1];
                    Reduce.axis(p, fn, x, 2, outer, n, inner, out, 1);
                    assertClose(fn + " " + outer + "×" + n + "×" + inner, expected, out, 1, 1e-6);
                }
            }
            // Large enough to take the parallel paths (by outer and, with outer = 1, by inner).
            for (int[] s : new int[][] {{64, 300, 1}, {1, 300, 500}, {7, 200, 33}}) {
                float[] x = random(s[0] * s[1] * s[2], 9);
                for (Reduce.Fn fn : Reduce.Fn.values()) {
                    float[] a = new float[s[0] * s[2]], b = new float[s[0] * s[2]];
                    Reduce.axis(par, fn, x, 0, s[0], s[1], s[2], a, 0);
                    Reduce.axis(fn, x, 0, s[0], s[1], s[2], b, 0);
                    assertClose(fn + " parallel", reference(fn, x, 0, s[0], s[1], s[2]), a, 1e-6);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(b, a, "parallel equals serial bitwise");
                }
            }
        }
    }

    @Test
    void maxAndMinPropagateNaN() {
        float[] x = {1, Float.NaN, 3, 4, 5, 6};
        float[] out = new float[2];
        Reduce.axis(Reduce.Fn.MAX, x, 0, 2, 3, 1, out, 0);
        assertTrue(Float.isNaN(out[0]));
        assertEquals(6f, out[1]);
        float[] out3 = new float[3];
        Reduce.axis(Reduce.Fn.MIN, x, 0, 1, 2, 3, out3, 0);
        assertTrue(Float.isNaN(out3[1]));
        assertEquals(1f, out3[0]);
    }

    @Test
    void sumAllIsDeterministicAndIndependentOfThreads() {
        int n = 5 * Reduce.BLOCK + 77;
        float[] x = random(n + 3, 4);
        double exact = 0;
        for (int i = 0; i < n; i++) exact += x[3 + i];
        double s1 = Reduce.sumAll(null, x, 3, n);
        try (Parallel p2 = new Parallel(2); Parallel p3 = new Parallel(3)) {
            assertEquals(s1, Reduce.sumAll(p2, x, 3, n));
            assertEquals(s1, Reduce.sumAll(p2, x, 3, n));
            assertEquals(s1, Reduce.sumAll(p3, x, 3, n));
        }
        assertEquals(exact, s1, 1e-4 * Math.sqrt(n));
    }
}
