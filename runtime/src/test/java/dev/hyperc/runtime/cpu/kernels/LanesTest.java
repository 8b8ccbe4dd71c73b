package dev.hyperc.runtime.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.junit.jupiter.api.Test;

/** Lane folds follow one documented order, so warm and cold JVMs agree bit for bit. */
class LanesTest {
    /** The order Lanes promises: upper half onto lower half, repeatedly. */
    static float halving(float[] a, boolean max) {
        float[] t = a.clone();
        for (int half = t.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) t[i] = max ? Math.max(t[i], t[i + half]) : t[i] + t[i + half];
        }
        return t[0];
    }

    @Test
    void foldsInTheHalvingOrderExactly() {
        var s = FloatVector.SPECIES_PREFERRED;
        Random r = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            float[] a = new float[s.length()];
            // Mixed magnitudes make the sum order-sensitive, so a different order would show.
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
            FloatVector v = FloatVector.fromArray(s, a, 0);
            assertEquals(Float.floatToRawIntBits(halving(a, false)), Float.floatToRawIntBits(Lanes.sum(v)), "trial " + trial);
            assertEquals(halving(a, true), Lanes.fold(v, VectorOperators.MAX), 0f);
        }
    }
}
