package dev.hyperc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kata exercise's own check: the loss falls by 100x on the teacher task and the generator's weights receive gradient. */
class KataTrainingTest {
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("models")) ? p : p.getParent();
    }

    @Test
    void lossFallsHundredfoldAndGeneratorLearns() throws IOException {
        Model model = Model.compile(root().resolve("models/kata.hyper"));
        Random rng = new Random(1);
        // A fixed random teacher MLP 16 -> 32 (relu) -> 4, the target's own architecture.
        float[] w1 = gauss(rng, 16 * 32, 0.35f), w2 = gauss(rng, 32 * 4, 0.25f);
        try (Session s = model.session(Session.Options.defaults().withSeed(7).withThreads(2))) {
            float[] before = s.parameters().get("dense_3.w").f32().clone();
            double first = 0, last = 0;
            int steps = Integer.getInteger("kata.steps", 4000);
            for (int step = 0; step < steps; step++) {
                float[] x = gauss(rng, 64 * 16, 1f);
                float[] y = teacher(x, w1, w2, 64);
                Session.StepResult r = s.trainStep(Map.of("x", HostTensor.f32(new int[] {64, 16}, x), "y", HostTensor.f32(new int[] {64, 4}, y)), Double.parseDouble(System.getProperty("kata.lr", "3e-3")));
                if (step < 10) first += r.loss() / 10;
                if (step >= steps - 10) last += r.loss() / 10;
            }
            System.out.printf("kata: loss %.4g -> %.4g (%.0fx) in %d steps%n", first, last, first / last, steps);
            assertTrue(first / last >= 100, "loss fell only " + first / last + "x");
            float[] after = s.parameters().get("dense_3.w").f32();
            double moved = 0;
            for (int i = 0; i < after.length; i++) moved = Math.max(moved, Math.abs(after[i] - before[i]));
            assertTrue(moved > 1e-3, "the generator's output layer did not change");
        }
    }

    static float[] gauss(Random r, int n, float std) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian() * std;
        return f;
    }

    static float[] teacher(float[] x, float[] w1, float[] w2, int b) {
        float[] y = new float[b * 4];
        for (int i = 0; i < b; i++) {
            float[] h = new float[32];
            for (int j = 0; j < 32; j++) {
                float a = 0;
                for (int k = 0; k < 16; k++) a += x[i * 16 + k] * w1[k * 32 + j];
                h[j] = Math.max(0f, a);
            }
            for (int o = 0; o < 4; o++) {
                float a = 0;
                for (int j = 0; j < 32; j++) a += h[j] * w2[j * 4 + o];
                y[i * 4 + o] = a;
            }
        }
        return y;
    }
}
