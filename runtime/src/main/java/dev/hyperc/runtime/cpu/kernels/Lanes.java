package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal reductions of a vector in a fixed order.
 *
 * <p>Why not {@code reduceLanes(ADD)}: its order is unspecified, and in practice the JIT-compiled intrinsic and
 * the interpreter's Java fallback add the lanes in different orders. The same step then gives bit-different
 * losses depending on how warm the JVM is, which breaks exact resume from a checkpoint. Here the lanes are
 * folded halves-onto-halves with lane-wise adds, which are exact IEEE operations in every execution mode.
 */
public final class Lanes {
    private Lanes() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** FOLD[i] moves the upper half of the first 2^(i+1) lanes onto the lower half. */
    private static final VectorShuffle<Float>[] FOLD = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int n = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] f = new VectorShuffle[n];
        for (int i = 0; i < n; i++) {
            int half = S.length() >> (i + 1);
            f[i] = VectorShuffle.fromOp(S, lane -> (lane + half) % S.length());
        }
        return f;
    }

    /** Sum of the lanes of v, always in the same order. */
    public static float sum(FloatVector v) {
        return fold(v, VectorOperators.ADD);
    }

    /** The lanes of v combined with op, always in the same order. */
    public static float fold(FloatVector v, VectorOperators.Binary op) {
        for (VectorShuffle<Float> s : FOLD) v = v.lanewise(op, v.rearrange(s));
        return v.lane(0);
    }
}
