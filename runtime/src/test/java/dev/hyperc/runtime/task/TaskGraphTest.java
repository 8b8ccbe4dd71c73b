package dev.hyperc.runtime.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.compiler.step.TrainingStep;
import dev.hyperc.dsl.SourceFile;
import dev.hyperc.runtime.opencl.Cl;
import dev.hyperc.runtime.opencl.DeviceContext;
import dev.hyperc.runtime.opencl.OpenClError;
import dev.hyperc.runtime.opencl.OpenClExecutor;
import dev.hyperc.runtime.opencl.OpenClTestAccess;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The task-graph API: checked snapshots, the three transfer modes, buffers shared by identity, device limits. */
class TaskGraphTest {
    /** y = x·w + b with an MSE loss against t: one parameter pair, one input pair, a scalar loss. */
    static final String MODEL = """
            hyperc 1
            model affine
            input x: f32[B, 3]
            input t: f32[B, 2]
            let y = x |> dense(2)
            let loss = mse(y, t)
            output y
            train { loss = loss  optimizer = sgd(lr: 0.1)  batch = 4 }
            """;

    static CompiledModel model() {
        Compiler.Result r = Compiler.compile(new SourceFile("affine.hyper", MODEL));
        assertTrue(r.ok(), () -> r.diagnostics().render());
        return r.model().orElseThrow();
    }

    static Schedule step() { return Scheduler.lower(Compiler.trainingStep(model()).graph("step"), 4); }

    static Schedule eval() { return Scheduler.lower(model().ir().graph("eval"), 4); }

    final float[] w = {0.5f, -0.25f, 0.125f, 1f, -1f, 0.75f}, b = {0.1f, -0.2f};
    final float[] x = new float[12], t = new float[8], lr = {0.1f}, loss = new float[1], evalLoss = new float[1];

    {
        for (int i = 0; i < x.length; i++) x[i] = (i % 5) * 0.3f - 0.6f;
        for (int i = 0; i < t.length; i++) t[i] = (i % 3) * 0.5f;
    }

    TaskGraph stepGraph(DataTransferMode inputs) {
        Schedule s = step();
        TaskGraph tg = new TaskGraph("train").task("step", s)
                .transferToDevice(inputs, "x", x).transferToDevice(inputs, "t", t)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, TrainingStep.LR, lr)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, "loss:loss", loss)
                .transferToHost(DataTransferMode.UNDER_DEMAND, "dense_1.w", w);
        for (var buf : s.buffers()) {
            if (buf.name().equals("dense_1.w")) tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, buf.name(), w);
            else if (buf.name().equals("dense_1.b")) tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, buf.name(), b);
            else if (buf.kind().persistent()) tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, buf.name(), new float[(int) buf.size()]);
        }
        return tg;
    }

    @Test
    void snapshotNamesEveryUnboundOrMisSizedBuffer() {
        TaskGraph tg = new TaskGraph("bad").task("step", step())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, "x", new float[5])
                .transferToHost(DataTransferMode.EVERY_EXECUTION, "loss:nope", new float[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tg::snapshot);
        assertTrue(e.getMessage().contains("input 'x' needs 12 floats, the bound array has 5"), e.getMessage());
        assertTrue(e.getMessage().contains("input 't' is not bound"), e.getMessage());
        assertTrue(e.getMessage().contains("param 'dense_1.w' is not bound"), e.getMessage());
        assertTrue(e.getMessage().contains("no task has a buffer 'loss:nope'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").transferToHost(DataTransferMode.FIRST_EXECUTION, "w", w));
    }

    @Test
    void modesMoveDataWhenTheySay() {
        Cl.Device dev = OpenClTestAccess.device();
        float[] w0 = w.clone();
        try (ExecutionPlan every = new ExecutionPlan(stepGraph(DataTransferMode.EVERY_EXECUTION).snapshot()).withDevice(dev).withWarmUp()) {
            ExecutionResult r1 = every.execute(1);
            float l1 = loss[0];
            // Parameters are FIRST_EXECUTION + UNDER_DEMAND: the host copy is untouched until asked for.
            assertArrayEquals(w0, w, 0f, "UNDER_DEMAND parameters must not come back by themselves");
            // Bytes per execution: x, t, lr in; the loss out. Nothing else.
            assertEquals(4L * (12 + 8 + 1 + 1), r1.bytesMoved());
            every.execute(2);
            assertNotEquals(l1, loss[0], "SGD moved the device weights, so the second loss differs");
            // EVERY_EXECUTION inputs: a changed batch is seen by the next execution.
            java.util.Arrays.fill(t, 100f);
            every.execute(3);
            assertTrue(loss[0] > 1000, "the new targets must be used: loss " + loss[0]);
            every.transferToHost(w);
            assertTrue(!java.util.Arrays.equals(w0, w), "transferToHost brings the trained weights back");
        }
    }

    @Test
    void firstExecutionInputsAreSentOnce() {
        Cl.Device dev = OpenClTestAccess.device();
        try (ExecutionPlan once = new ExecutionPlan(stepGraph(DataTransferMode.FIRST_EXECUTION).snapshot()).withDevice(dev)) {
            once.execute(1);
            float before = loss[0];
            java.util.Arrays.fill(t, 100f);
            ExecutionResult r = once.execute(2);
            assertTrue(loss[0] < 100, "FIRST_EXECUTION targets are not resent: loss " + loss[0] + " (first " + before + ")");
            assertEquals(4L * (1 + 1), r.bytesMoved(), "only lr in and loss out");
        }
    }

    /** A training plan and an evaluation plan on one context share the weights: evaluation sees the update at once. */
    @Test
    void plansOnOneContextShareBuffersByIdentity() {
        Cl.Device dev = OpenClTestAccess.device();
        Schedule ev = eval();
        TaskGraph evalGraph = new TaskGraph("eval").task("eval", ev)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, "x", x).transferToDevice(DataTransferMode.EVERY_EXECUTION, "t", t)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, "dense_1.w", w).transferToDevice(DataTransferMode.FIRST_EXECUTION, "dense_1.b", b)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, "loss:loss", evalLoss);
        try (DeviceContext ctx = new DeviceContext(dev, false);
             ExecutionPlan train = new ExecutionPlan(stepGraph(DataTransferMode.EVERY_EXECUTION).snapshot()).withContext(ctx);
             ExecutionPlan test = new ExecutionPlan(evalGraph.snapshot()).withContext(ctx)) {
            test.execute();
            float initial = evalLoss[0];
            long allocated = ctx.bytesAllocated();
            for (int i = 0; i < 20; i++) train.execute(i);
            test.execute();
            assertTrue(evalLoss[0] < initial, "evaluation must see the trained device weights: " + initial + " -> " + evalLoss[0]);
            assertTrue(ctx.isShared(w) && ctx.isShared(b));
            // The weights were not allocated twice: the training plan added only its own temporaries and inputs.
            assertTrue(ctx.bytesAllocated() - allocated < 4L * 1000, "allocated " + (ctx.bytesAllocated() - allocated));
        }
    }

    /** A buffer larger than the device allows is named with its size before anything is allocated. */
    @Test
    void deviceMemoryExhaustionNamesTheBufferAndSize() {
        Cl.Device real = OpenClTestAccess.device();
        Cl.Device tiny = new Cl.Device(real.platform(), real.id(), real.platformName(), real.name(), real.vendor(), real.driverVersion(),
                real.version(), real.gpu(), real.cpu(), real.computeUnits(), real.maxWorkGroupSize(), real.localMem(), 1 << 20, 16, real.fp64());
        Map<String, float[]> params = new HashMap<>(), states = new HashMap<>();
        OpenClError e = assertThrows(OpenClError.class, () -> new OpenClExecutor(step(), params, states, tiny, false).close());
        assertTrue(e.getMessage().contains("device buffer") && e.getMessage().contains("bytes") && e.getMessage().contains("allows at most"), e.getMessage());
        Cl.Device small = new Cl.Device(real.platform(), real.id(), real.platformName(), real.name(), real.vendor(), real.driverVersion(),
                real.version(), real.gpu(), real.cpu(), real.computeUnits(), real.maxWorkGroupSize(), real.localMem(), 40, 1 << 20, real.fp64());
        OpenClError e2 = assertThrows(OpenClError.class, () -> new OpenClExecutor(step(), new HashMap<>(), new HashMap<>(), small, false).close());
        assertTrue(e2.getMessage().startsWith("device memory exhausted: buffer "), e2.getMessage());
        assertTrue(e2.getMessage().contains("CL_DEVICE_GLOBAL_MEM_SIZE"), e2.getMessage());
    }
}
