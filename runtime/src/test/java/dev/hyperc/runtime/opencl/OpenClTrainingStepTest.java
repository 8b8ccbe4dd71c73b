package dev.hyperc.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.hyperc.runtime.cpu.CpuExecutor;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A whole compiled training step (forward, backward, optimizer update) on OpenCL against the CPU backend, for kata
 * and every gradcheck model: loss, metrics, updated parameters and optimizer state agree within
 * 1e-4 · max(1, |cpu|). Also checks what crosses the bus per step.
 */
class OpenClTrainingStepTest {
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("models")) ? p : p.getParent();
    }

    static Stream<Path> models() throws IOException {
        Stream<Path> small = Files.list(root().resolve("tests/gradcheck")).filter(p -> p.toString().endsWith(".hyper")).sorted();
        return Stream.concat(small, Stream.of(root().resolve("models/kata.hyper")));
    }

    record Setup(Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, Map<String, float[]> inputs) {}

    static Setup setup(Path model, long batch) throws IOException {
        Compiler.Result r = Compiler.compile(SourceFile.read(model));
        assertTrue(r.ok(), () -> r.diagnostics().render());
        CompiledModel m = r.model().orElseThrow();
        Graph step = Compiler.trainingStep(m).graph("step");
        ReferenceEvaluator.Bindings b = GradCheck.randomInputs(m.ir().graph("train"), batch, 17);
        b.input(TrainingStep.LR, DTensor.scalar(0.01));
        Random rng = new Random(5);
        Map<String, float[]> params = new HashMap<>(), states = new HashMap<>();
        for (Node n : step.nodes()) {
            if (n.op() instanceof Op.Param p && !params.containsKey(p.name())) {
                params.put(p.name(), toFloat(ReferenceEvaluator.initialise(p.init(), ReferenceEvaluator.concreteShape(p.type().shape(), batch), rng)));
            }
            if (n.op() instanceof Op.State st && !states.containsKey(st.name())) {
                states.put(st.name(), toFloat(ReferenceEvaluator.initialise(st.init(), ReferenceEvaluator.concreteShape(st.type().shape(), batch), rng)));
            }
        }
        Schedule s = Scheduler.lower(step, batch);
        Map<String, float[]> inputs = new LinkedHashMap<>();
        for (String name : s.inputs().keySet()) inputs.put(name, toFloat(b.inputs().get(name)));
        return new Setup(s, params, states, inputs);
    }

    static float[] toFloat(DTensor t) {
        float[] f = new float[t.numel()];
        for (int i = 0; i < f.length; i++) f[i] = (float) t.data()[i];
        return f;
    }

    static Map<String, float[]> copy(Map<String, float[]> m) {
        Map<String, float[]> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainingStepMatchesCpuBackend(Path model) throws IOException {
        Cl.Device dev = OpenClTestSupport.device();
        Setup su = setup(model, 3);
        Schedule s = su.schedule();
        Map<String, float[]> cpuP = copy(su.params()), cpuS = copy(su.states()), clP = copy(su.params()), clS = copy(su.states());
        try (Parallel pool = new Parallel(2); OpenClExecutor cl = new OpenClExecutor(s, clP, clS, dev, false)) {
            CpuExecutor cpu = new CpuExecutor(s, cpuP, cpuS, pool);
            for (Map.Entry<String, BufferRef> in : s.inputs().entrySet()) {
                cpu.write(in.getValue(), su.inputs().get(in.getKey()));
                cl.write(in.getValue(), su.inputs().get(in.getKey()));
            }
            // Two steps: the second sees device-resident parameters and state updated by the first.
            for (int stepNo = 0; stepNo < 2; stepNo++) {
                cpu.run(1 + stepNo);
                cl.run(1 + stepNo);
            }
            cl.downloadState();
            List<String> checked = new ArrayList<>();
            for (String key : s.outputs().keySet()) {
                if (key.startsWith("update:") || key.startsWith("state:")) continue;
                compare(model + " " + key, cpu.read(s.outputs().get(key)), cl.read(s.outputs().get(key)));
                checked.add(key);
            }
            for (String p : cpuP.keySet()) compare(model + " param " + p, cpuP.get(p), clP.get(p));
            for (String p : cpuS.keySet()) compare(model + " state " + p, cpuS.get(p), clS.get(p));
            assertTrue(!checked.isEmpty() || !cpuP.isEmpty(), "nothing compared for " + model);
        }
    }

    static void compare(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            int at = i;
            assertTrue(Math.abs(got[i] - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])),
                    () -> what + "[" + at + "]: opencl " + got[at] + " vs cpu " + want[at]);
        }
    }

    @Test
    void kataStepMovesOnlyInputsAndLoss() throws IOException {
        Cl.Device dev = OpenClTestSupport.device();
        Setup su = setup(root().resolve("models/kata.hyper"), 8);
        Schedule s = su.schedule();
        BufferRef loss = s.outputs().entrySet().stream().filter(e -> e.getKey().startsWith("loss:")).findFirst().orElseThrow(
                () -> new AssertionError("no loss output in " + s.outputs().keySet())).getValue();
        Map<BufferRef, float[]> in = new LinkedHashMap<>();
        long expect = loss.numel() * 4;
        for (Map.Entry<String, BufferRef> e : s.inputs().entrySet()) {
            in.put(e.getValue(), su.inputs().get(e.getKey()));
            expect += e.getValue().numel() * 4;
        }
        try (OpenClExecutor cl = new OpenClExecutor(s, copy(su.params()), copy(su.states()), dev, true)) {
            float[] first = cl.step(1, in, List.of(loss))[0];
            float[] last = first;
            for (int i = 0; i < 20; i++) last = cl.step(2 + i, in, List.of(loss))[0];
            assertEquals(expect, cl.lastStepBytes(), "bytes per kata step: inputs " + s.inputs().keySet() + " + loss");
            assertTrue(Float.isFinite(last[0]) && last[0] < first[0], "kata loss should fall on a fixed batch: " + first[0] + " -> " + last[0]);
            assertTrue(!cl.profileByKernel().isEmpty());
        }
    }
}
