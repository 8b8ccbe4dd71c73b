package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.Model;
import dev.hyperc.runtime.Session;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Uses only the public embedding API, as README's example does: compile, inspect, train, generate, predict, save/restore. */
class EmbeddingApiTest {
    static final String MODEL = """
            hyperc 1
            model tiny_hyper
            input task: i32[]
            input x: f32[B, 3]
            input y: i32[B]
            target net(v: f32[3]) = v |> dense(8, activation: relu) |> dense(2)
            let w = task |> embedding(2, 4) |> dense(16, activation: relu) |> dense(params(net))
            let logits = net(x, w)
            let loss = cross_entropy(logits, y)
            let acc = accuracy(logits, y)
            output logits
            train { loss = loss  metrics = [acc]  optimizer = adam(lr: 1e-2)  batch = 16 }
            """;

    @Test
    void compileInspectTrainGeneratePredict() {
        Model model = Model.compile("tiny.hyper", MODEL);
        assertEquals("tiny_hyper", model.name());
        Layout net = model.layouts().get(0);
        assertEquals("net", net.target());
        assertEquals(3 * 8 + 8 + 8 * 2 + 2, net.size());
        assertEquals("dense_1.w", net.entries().get(0).name());

        Random r = new Random(3);
        try (Session s = model.session(Session.Options.defaults().withSeed(1).withThreads(2))) {
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 300; step++) {
                int task = step % 2;
                float[] x = new float[16 * 3];
                int[] y = new int[16];
                for (int i = 0; i < 16; i++) {
                    for (int j = 0; j < 3; j++) x[i * 3 + j] = (float) r.nextGaussian();
                    // Task 0: class = sign of x0; task 1: sign of x1. The hypernetwork must tell them apart.
                    y[i] = x[i * 3 + task] > 0 ? 1 : 0;
                }
                Session.StepResult res = s.trainStep(Map.of("task", HostTensor.i32(new int[0], new int[] {task}),
                        "x", HostTensor.f32(new int[] {16, 3}, x), "y", HostTensor.i32(new int[] {16}, y)), 1e-2);
                if (step < 10) first = Double.isNaN(first) ? res.loss() : first + res.loss();
                if (step >= 290) last = Double.isNaN(last) ? res.loss() : last + res.loss();
            }
            assertTrue(last < first / 3, "loss did not fall: " + first / 10 + " -> " + last / 10);

            Map<String, Map<String, HostTensor>> g0 = s.generate(Map.of("task", HostTensor.i32(new int[0], new int[] {0})));
            Map<String, Map<String, HostTensor>> g1 = s.generate(Map.of("task", HostTensor.i32(new int[0], new int[] {1})));
            HostTensor w0 = g0.get("net").get("dense_1.w");
            assertArrayEquals(new int[] {3, 8}, w0.shape());
            assertNotEquals(w0, g1.get("net").get("dense_1.w"), "different tasks must get different generated weights");

            Map<String, HostTensor> out = s.predict(Map.of("task", HostTensor.i32(new int[0], new int[] {0}),
                    "x", HostTensor.f32(new int[] {2, 3}, new float[] {2, 0, 0, -2, 0, 0})));
            float[] logits = out.get("logits").f32();
            assertTrue(logits[1] > logits[0] && logits[2] > logits[3], "task 0 should classify by the sign of x0");

            // Save and restore: a new session with the snapshot predicts the same.
            var snap = s.snapshot();
            try (Session s2 = model.session(Session.Options.defaults().withSeed(99))) {
                s2.restore(snap, s.steps());
                assertArrayEquals(logits, s2.predict(Map.of("task", HostTensor.i32(new int[0], new int[] {0}),
                        "x", HostTensor.f32(new int[] {2, 3}, new float[] {2, 0, 0, -2, 0, 0}))).get("logits").f32());
            }
        }
    }

    @Test
    void badModelTextThrowsWithDiagnostics() {
        Model.CompileException e = assertThrows(Model.CompileException.class, () -> Model.compile("bad.hyper", "hyperc 1\nmodel m\nlet a = nope\n"));
        assertTrue(e.getMessage().contains("bad.hyper:3:9: error: unknown name 'nope'"), e.getMessage());
    }

    @Test
    void wrongInputShapeIsNamed() {
        Model model = Model.compile("tiny.hyper", MODEL);
        try (Session s = model.session(Session.Options.defaults())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.predict(Map.of(
                    "task", HostTensor.i32(new int[0], new int[] {0}), "x", HostTensor.f32(new int[] {2, 4}, new float[8]))));
            assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
