package dev.hyperc.runtime.cpu.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Shared helpers for the kernel tests: random data and a relative-tolerance comparison against f64 references. */
final class KernelTesting {
    private KernelTesting() {}

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /**
     * |actual − expected| ≤ tol · (scale + |expected|) element by element, where {@code scale} is the largest
     * finite |expected|: f32 sums of many terms of both signs lose absolute, not relative, precision near zero.
     * NaN must meet NaN and an infinity the same infinity.
     */
    static void assertClose(String what, double[] expected, float[] actual, int actualOff, double tol) {
        double scale = 0;
        for (double e : expected) if (Double.isFinite(e)) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double a = actual[actualOff + i], e = expected[i];
            if (Double.isNaN(e) ? !Double.isNaN(a) : Double.isInfinite(e) ? a != e : !(Math.abs(a - e) <= tol * (scale + Math.abs(e)))) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (scale " + scale + ")");
            }
        }
    }

    static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertClose(what, expected, actual, 0, tol);
    }
}
