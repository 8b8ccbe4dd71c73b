package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.autodiff.Autodiff;
import dev.hyperc.compiler.autodiff.GradCheck;
import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.passes.GeneratedWeightContraction;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contraction of per-sample generated weights (applied to the training graph before differentiation) on the
 * shrunken edifice_mlp, in f64: the same loss and gradients as through the generated weights, and gradients that
 * match finite differences.
 */
class GeneratedWeightContractionModelTest {
    private static final Shape FIRST_LAYER = Shape.parse("[B,6,5]");

    private static long firstLayerWeights(Graph g) {
        return g.nodes().stream().filter(n -> n.result().type().shape().equals(FIRST_LAYER)).count();
    }

    @Test
    void edificeSmallComputesTheSameLossAndGradientsWithoutItsFirstLayerWeights() throws IOException {
        CompiledModel m = ModelGradCheckTest.compile(Golden.root().resolve("tests/gradcheck/edifice_small.hyper"));
        Graph train = m.ir().graph("train");
        Graph contracted = GeneratedWeightContraction.run(train);
        assertEquals(1, firstLayerWeights(train), "edifice_small generates its first layer's [B, 6, 5] weights");
        assertEquals(0, firstLayerWeights(contracted), "the contracted graph must not generate them");

        ReferenceEvaluator.Bindings b = GradCheck.randomInputs(train, 3, 11);
        ModelGradCheckTest.initialParams(m, b).forEach(b::param);
        Map<String, DTensor> want = ReferenceEvaluator.run(Autodiff.gradients(train, m.train().loss()), b);
        Map<String, DTensor> got = ReferenceEvaluator.run(Autodiff.gradients(contracted, m.train().loss()), b);
        assertEquals(want.keySet(), got.keySet());
        int compared = 0;
        for (String k : want.keySet()) {
            double[] w = want.get(k).data(), g = got.get(k).data();
            assertEquals(w.length, g.length, k);
            for (int i = 0; i < w.length; i++) {
                double tol = 1e-12 * Math.max(1, Math.max(Math.abs(w[i]), Math.abs(g[i])));
                assertEquals(w[i], g[i], tol, k + "[" + i + "]");
                compared++;
            }
        }
        assertTrue(want.keySet().stream().filter(k -> k.contains("gen1")).count() >= 2, "gradients of the first layer's generator");
        assertTrue(compared > 100, "compared " + compared + " elements");
    }

    @Test
    void contractedGradientsMatchFiniteDifferences() throws IOException {
        CompiledModel m = ModelGradCheckTest.compile(Golden.root().resolve("tests/gradcheck/edifice_small.hyper"));
        Graph contracted = GeneratedWeightContraction.run(m.ir().graph("train"));
        var bindings = GradCheck.randomInputs(contracted, 2, 5);
        List<GradCheck.ParamResult> res = GradCheck.check(contracted, m.train().loss(), bindings, 6, 1e-5, 5);
        int checked = 0;
        for (GradCheck.ParamResult r : res) {
            checked += r.checked();
            assertTrue(r.maxRelError() < 1e-6, r.param() + " differs from finite differences by " + r.maxRelError());
        }
        assertTrue(checked >= 3 * res.size(), "too few coordinates could be checked (" + checked + ")");
    }
}
