package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.autodiff.GradCheck;
import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.compiler.step.TrainingStep;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU and OpenCL backends against the f64 reference evaluator: a whole training step (forward,
 * backward, optimizer update) of each model, on an odd batch size, must give the same loss, metrics,
 * updated parameters and optimizer state within f32 tolerance.
 */
class CpuBackendTest {
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("models")) ? p : p.getParent();
    }

    static Stream<Path> models() throws IOException {
        Stream<Path> small = Files.list(root().resolve("tests/gradcheck")).filter(p -> p.toString().endsWith(".hyper")).sorted()
                ;
        return Stream.concat(small, Stream.of(root().resolve("models/kata.hyper"), root().resolve("models/multitask_mnist.hyper")));
    }

    /** A model's training step at batch 3 with random inputs and parameters, and the f64 reference's outputs for it. */
    record Setup(String model, Schedule schedule, Map<String, float[]> params, Map<String, float[]> states,
                 ReferenceEvaluator.Bindings bindings, Map<String, DTensor> expect) {}

    static Setup setup(Path model) throws IOException {
        Compiler.Result r = Compiler.compile(SourceFile.read(model));
        assertTrue(r.ok(), () -> r.diagnostics().render());
        CompiledModel m = r.model().orElseThrow();
        Graph step = Compiler.trainingStep(m).graph("step");
        long batch = 3;
        ReferenceEvaluator.Bindings b = GradCheck.randomInputs(m.ir().graph("train"), batch, 17);
        b.input(TrainingStep.LR, DTensor.scalar(0.01));
        Random rng = new Random(5);
        Map<String, float[]> params = new HashMap<>(), states = new HashMap<>();
        for (Node n : step.nodes()) {
            if (n.op() instanceof Op.Param p && !b.params().containsKey(p.name())) {
                DTensor t = ReferenceEvaluator.initialise(p.init(), ReferenceEvaluator.concreteShape(p.type().shape(), batch), rng);
                b.param(p.name(), t);
                params.put(p.name(), toFloat(t));
            }
            if (n.op() instanceof Op.State st && !b.states().containsKey(st.name())) {
                DTensor t = ReferenceEvaluator.initialise(st.init(), ReferenceEvaluator.concreteShape(st.type().shape(), batch), rng);
                b.state(st.name(), t);
                states.put(st.name(), toFloat(t));
            }
        }
        Schedule s = Scheduler.lower(step, batch);
        // Every backend and the reference must see the same noise: give the reference the counter-based values.
        for (Map.Entry<Integer, Integer> nz : s.noiseStreams().entrySet()) {
            Node n = step.nodes().stream().filter(x -> x.results().get(0).id() == nz.getKey()).findFirst().orElseThrow();
            Op.Noise op = (Op.Noise) n.op();
            int[] shape = ReferenceEvaluator.concreteShape(op.type().shape(), batch);
            float[] vals = new float[DTensor.numel(shape)];
            Noise.fill(vals, 0, vals.length, 1, nz.getValue(), 0, op.distribution(), (float) op.a(), (float) op.b());
            double[] d = new double[vals.length];
            for (int i = 0; i < d.length; i++) d[i] = vals[i];
            b.noise(nz.getKey(), new DTensor(shape, d));
        }
        Map<String, DTensor> expect = new LinkedHashMap<>();
        Map<Integer, DTensor> all = ReferenceEvaluator.runAll(step, b);
        for (Graph.Output o : step.outputs()) expect.put(o.role().text() + ":" + o.name(), all.get(o.value().id()));
        return new Setup(model.getFileName().toString(), s, params, states, b, expect);
    }

    /** Every output, updated parameter and state against the reference, within 2e-3 · max(1, |reference|). */
    static void compare(Setup su, String backend, java.util.function.Function<String, float[]> read) {
        for (Map.Entry<String, DTensor> e : su.expect().entrySet()) {
            float[] got = e.getKey().startsWith("update:") ? su.params().get(e.getKey().substring(7))
                    : e.getKey().startsWith("state:") ? su.states().get(e.getKey().substring(6)) : read.apply(e.getKey());
            double[] want = e.getValue().data();
            for (int i = 0; i < want.length; i++) {
                double tol = 2e-3 * Math.max(1, Math.abs(want[i]));
                int at = i;
                assertTrue(Math.abs(got[i] - want[i]) <= tol,
                        () -> su.model() + " " + e.getKey() + "[" + at + "]: " + backend + " " + got[at] + " vs reference " + want[at]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainingStepMatchesReference(Path model) throws IOException {
        Setup su = setup(model);
        Schedule s = su.schedule();
        try (Parallel pool = new Parallel(2)) {
            CpuExecutor ex = new CpuExecutor(s, su.params(), su.states(), pool);
            for (Map.Entry<String, BufferRef> in : s.inputs().entrySet()) ex.write(in.getValue(), toFloat(su.bindings().inputs().get(in.getKey())));
            ex.run(1);
            compare(su, "cpu", key -> ex.read(s.outputs().get(key)));
        }
    }

    /** The same step on OpenCL against the f64 reference directly (not only against the CPU backend). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void openClTrainingStepMatchesReference(Path model) throws IOException {
        dev.hyperc.runtime.opencl.Cl.Device device = dev.hyperc.runtime.opencl.OpenClTestAccess.device();
        Setup su = setup(model);
        Schedule s = su.schedule();
        try (var ex = new dev.hyperc.runtime.opencl.OpenClExecutor(s, su.params(), su.states(), device, false)) {
            for (Map.Entry<String, BufferRef> in : s.inputs().entrySet()) ex.write(in.getValue(), toFloat(su.bindings().inputs().get(in.getKey())));
            ex.run(1);
            ex.downloadState();
            compare(su, "opencl", key -> ex.read(s.outputs().get(key)));
        }
    }

    static float[] toFloat(DTensor t) {
        float[] f = new float[t.numel()];
        for (int i = 0; i < f.length; i++) f[i] = (float) t.data()[i];
        return f;
    }
}
