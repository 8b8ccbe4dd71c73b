package dev.hyperc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.runtime.opencl.OpenClTestAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sessions on OpenCL against sessions on the CPU backend, through the public API: loss curves over dozens of steps,
 * evaluation seeing device-resident weights, checkpoints round-tripping through the device, and what a step moves.
 */
class SessionOpenClTest {
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("models")) ? p : p.getParent();
    }

    static Model model(String path) throws IOException { return Model.compile(root().resolve(path)); }

    /** Random inputs of the train graph's shapes (ids in range), fixed by seed. */
    static Map<String, HostTensor> batch(Model m, long batch, long seed) {
        return dev.hyperc.runtime.bench.ModelBench.syntheticInputs(m, batch, seed);
    }

    /** {@code steps} training steps on both backends with the same batches; the losses must agree step by step. */
    static void tracks(String path, int batch, int steps, double lr, double tol) throws IOException {
        OpenClTestAccess.device();
        Model m = model(path);
        Session.Options o = Session.Options.defaults().withSeed(3).withThreads(2);
        try (Session cpu = m.session(o); Session cl = m.session(o.withBackend(Backend.OPENCL))) {
            assertTrue(cl.onDevice() && !cpu.onDevice(), cl.backend());
            double firstCpu = 0, lastCpu = 0;
            for (int i = 0; i < steps; i++) {
                Map<String, HostTensor> b = batch(m, batch, 100 + i);
                double a = cpu.trainStep(b, lr).loss(), d = cl.trainStep(b, lr).loss();
                int step = i;
                assertTrue(Math.abs(a - d) <= tol * Math.max(1, Math.abs(a)), () -> path + " step " + step + ": cpu loss " + a + ", opencl " + d);
                if (i == 0) firstCpu = a;
                lastCpu = a;
            }
            assertTrue(lastCpu < firstCpu, path + ": the loss should fall over " + steps + " steps: " + firstCpu + " -> " + lastCpu);
            // Evaluation on the device sees the device-resident weights without any copy back.
            Map<String, HostTensor> held = batch(m, batch, 7);
            Session.StepResult ec = cpu.evaluate(held), ed = cl.evaluate(held);
            assertEquals(ec.loss(), ed.loss(), tol * Math.max(1, Math.abs(ec.loss())), "evaluation after training");
        }
    }

    @Test
    void kataLossCurveTracksCpuForFortySteps() throws IOException {
        tracks("models/kata.hyper", 16, 40, 1e-2, 1e-3);
    }

    @Test
    void multitaskLossCurveTracksCpuForThirtySteps() throws IOException {
        tracks("models/multitask_mnist.hyper", 8, 30, 3e-3, 1e-3);
    }

    /** Per step only the batch (and the learning rate) goes in and only the loss and metrics come out. */
    @Test
    void aStepMovesOnlyTheBatchInAndLossAndMetricsOut() throws IOException {
        OpenClTestAccess.device();
        Model m = model("models/multitask_mnist.hyper");
        try (Session cl = m.session(Session.Options.defaults().withSeed(1).withBackend(Backend.OPENCL))) {
            Map<String, HostTensor> b = batch(m, 8, 1);
            cl.trainStep(b, 1e-3);
            cl.trainStep(b, 1e-3);
            long in = 4; // the learning rate
            for (HostTensor t : b.values()) in += 4L * t.numel();
            long out = 4L * (1 + m.trainConfig().metrics().size());
            assertEquals(in + out, cl.lastStepBytes(b), "bytes per step: batch " + (in - 4) + " + lr 4 + loss/metrics " + out);
        }
    }

    /** A snapshot taken from the device and restored into another device session continues identically. */
    @Test
    void checkpointsRoundTripThroughTheDevice() throws IOException {
        OpenClTestAccess.device();
        Model m = model("models/kata.hyper");
        Session.Options o = Session.Options.defaults().withSeed(5).withThreads(2).withBackend(Backend.OPENCL);
        try (Session a = m.session(o); Session b = m.session(o.withSeed(99))) {
            for (int i = 0; i < 5; i++) a.trainStep(batch(m, 16, i), 1e-2);
            b.restore(a.snapshot(), a.steps());
            Map<String, HostTensor> next = batch(m, 16, 50);
            assertEquals(a.trainStep(next, 1e-2).loss(), b.trainStep(next, 1e-2).loss(), 0.0, "restored session must continue exactly");
            Map<String, float[]> sa = a.snapshot(), sb = b.snapshot();
            for (String k : sa.keySet()) {
                float[] x = sa.get(k), y = sb.get(k);
                for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 0f, k + "[" + i + "]");
            }
        }
    }

    @Test
    void generatedWeightsMatchCpu() throws IOException {
        OpenClTestAccess.device();
        Model m = model("models/multitask_mnist.hyper");
        Session.Options o = Session.Options.defaults().withSeed(2).withThreads(2);
        try (Session cpu = m.session(o); Session cl = m.session(o.withBackend(Backend.OPENCL))) {
            Map<String, HostTensor> task = Map.of("task", HostTensor.i32(new int[0], new int[] {1}));
            var a = cpu.generate(task);
            var d = cl.generate(task);
            assertEquals(a.keySet(), d.keySet());
            for (String layout : a.keySet()) {
                for (String p : a.get(layout).keySet()) {
                    float[] x = a.get(layout).get(p).f32(), y = d.get(layout).get(p).f32();
                    assertEquals(x.length, y.length);
                    for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-4 * Math.max(1, Math.abs(x[i])), layout + "." + p + "[" + i + "]");
                }
            }
        }
    }
}
