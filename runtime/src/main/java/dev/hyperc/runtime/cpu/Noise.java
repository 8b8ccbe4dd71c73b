package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Init;

/**
 * Counter-based random numbers: element i of stream s in a step with seed k is a hash of (k, s, i).
 * Results therefore do not depend on thread count or on the order kernels run in, which keeps
 * training deterministic for a given seed.
 */
final class Noise {
    private Noise() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in (0, 1) from (seed, stream, index). */
    static double uniform(long seed, int stream, long index) {
        long h = mix(seed * 0x9E3779B97F4A7C15L + mix(stream + 0x632BE59BD9B4E019L) + index * 0xD1B54A32D192ED03L);
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }

    static void fill(float[] y, int yo, int len, long seed, int stream, long flat0, Init.Distribution dist, float a, float b) {
        for (int j = 0; j < len; j++) {
            long i = flat0 + j;
            if (dist == Init.Distribution.UNIFORM) {
                y[yo + j] = (float) (a + (b - a) * uniform(seed, stream, i));
            } else {
                // Box–Muller on two independent uniforms of this element.
                double u1 = uniform(seed, stream, 2 * i), u2 = uniform(seed, stream, 2 * i + 1);
                y[yo + j] = (float) (a + b * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
            }
        }
    }
}
