package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.autodiff.GradCheck;
import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.step.TrainingStep;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of whole models' loss gradients (the backward half of the training step)
 * on shrunken versions of the reference models in tests/gradcheck/, plus kata at full size; and a
 * check that the optimizer update in the compiled step is the textbook formula.
 */
class ModelGradCheckTest {
    static Stream<Path> models() throws IOException {
        Stream<Path> small = Files.list(Golden.root().resolve("tests/gradcheck")).filter(p -> p.toString().endsWith(".hyper")).sorted();
        return Stream.concat(small, Stream.of(Golden.root().resolve("models/kata.hyper")));
    }

    static CompiledModel compile(Path p) throws IOException {
        Compiler.Result r = Compiler.compile(SourceFile.read(p));
        assertTrue(r.ok(), () -> r.diagnostics().render());
        return r.model().orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void gradientsMatchFiniteDifferences(Path model) throws IOException {
        CompiledModel m = compile(model);
        Graph train = m.ir().graph("train");
        var bindings = GradCheck.randomInputs(train, 2, 5);
        List<GradCheck.ParamResult> res = GradCheck.check(train, m.train().loss(), bindings, 6, 1e-5, 5);
        assertTrue(res.size() >= 3, "expected several parameters in " + model.getFileName());
        int checked = 0;
        for (GradCheck.ParamResult r : res) {
            checked += r.checked();
            assertTrue(r.maxRelError() < 1e-6, model.getFileName() + ": " + r.param() + " differs from finite differences by " + r.maxRelError());
        }
        assertTrue(checked >= 3 * res.size(), model.getFileName() + ": too few coordinates could be checked (" + checked + ")");
    }

    /** One Adam step from zero moments moves each weight by lr·g/(|g| + ε): the compiled update must agree. */
    @Test
    void adamUpdateIsTheTextbookStep() throws IOException {
        CompiledModel m = compile(Golden.root().resolve("models/kata.hyper"));
        IrModule step = Compiler.trainingStep(m);
        Graph g = step.graph("step");
        var b = GradCheck.randomInputs(m.ir().graph("train"), 3, 9);
        b.input(TrainingStep.LR, DTensor.scalar(0.01));
        Map<String, DTensor> params = initialParams(m, b);
        params.forEach(b::param);
        Map<String, DTensor> out = ReferenceEvaluator.run(g, b);
        Map<String, DTensor> grads = ReferenceEvaluator.run(dev.hyperc.compiler.autodiff.Autodiff.gradients(m.ir().graph("train"), "loss"), b);
        for (String name : params.keySet()) {
            DTensor p = params.get(name), gr = grads.get(key(grads, name, "grad")), next = out.get(key(out, name, "update"));
            for (int i = 0; i < p.numel(); i++) {
                double expect = p.data()[i] - 0.01 * gr.data()[i] / (Math.abs(gr.data()[i]) + 1e-8);
                assertEquals(expect, next.data()[i], 1e-9, name + "[" + i + "]");
            }
        }
        assertEquals(1.0, out.get(TrainingStep.STEP).item());
    }

    static String key(Map<String, DTensor> out, String name, String role) {
        return out.containsKey(role + ":" + name) ? role + ":" + name : name;
    }

    static Map<String, DTensor> initialParams(CompiledModel m, ReferenceEvaluator.Bindings b) {
        Map<String, DTensor> params = new java.util.LinkedHashMap<>();
        java.util.Random rng = new java.util.Random(3);
        for (var n : m.ir().graph("train").nodes()) {
            if (n.op() instanceof dev.hyperc.compiler.ir.Op.Param p) {
                params.put(p.name(), ReferenceEvaluator.initialise(p.init(), ReferenceEvaluator.concreteShape(p.type().shape(), b.batch()), rng));
            }
        }
        return params;
    }
}
