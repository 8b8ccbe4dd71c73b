package dev.hyperc.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** One output row of a matmul: c[j] = Σ_k a[k]·b[k, j], vectorised over j when b's rows are dense. */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Gemm() {}

    static void row(float[] c, int co, int cs, float[] a, int ao, int as, float[] b, int bo, int brs, int bcs, int n, int k) {
        if (bcs == 1 && cs == 1) {
            java.util.Arrays.fill(c, co, co + n, 0f);
            for (int kk = 0; kk < k; kk++) {
                float av = a[ao + kk * as];
                if (av == 0) continue;
                int brow = bo + kk * brs;
                int j = 0;
                FloatVector va = FloatVector.broadcast(S, av);
                for (; j <= n - S.length(); j += S.length()) {
                    FloatVector vc = FloatVector.fromArray(S, c, co + j);
                    va.fma(FloatVector.fromArray(S, b, brow + j), vc).intoArray(c, co + j);
                }
                for (; j < n; j++) c[co + j] += av * b[brow + j];
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            float acc = 0;
            for (int kk = 0; kk < k; kk++) acc += a[ao + kk * as] * b[bo + kk * brs + j * bcs];
            c[co + j * cs] = acc;
        }
    }
}
