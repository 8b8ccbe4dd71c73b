package dev.hyperc.compiler.eval;

import static dev.hyperc.compiler.eval.EvalTesting.assertTensor;
import static dev.hyperc.compiler.eval.EvalTesting.batch;
import static dev.hyperc.compiler.eval.EvalTesting.d;
import static dev.hyperc.compiler.eval.EvalTesting.graph;
import static dev.hyperc.compiler.eval.EvalTesting.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Init;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bindings, their errors, parameter initialisation, noise, output keys and the tensor class. */
class BindingsTest {
    private static final Graph DENSE = graph("""
              %0:f32[B,2] = input[name="x"]
              %1:f32[2,3] = param[name="w", init=glorot(2, 3)]
              %2:f32[B,3] = matmul %0, %1
              %3:i32[B] = input[name="y"]
              output result h = %2
            """);

    @Test
    void missingInputNamesItAndItsShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(DENSE, batch(3).input("y", DTensor.zeros(3))));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    @Test
    void wronglyShapedBindingsNameTheLeafAndBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(DENSE, batch(3).input("x", DTensor.zeros(2, 2)).input("y", DTensor.zeros(3))));
        assertTrue(e.getMessage().contains("input 'x'") && e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 2]")
                && e.getMessage().contains("B=3"), e.getMessage());
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(DENSE, batch(3).input("x", DTensor.zeros(3, 2)).input("y", DTensor.zeros(3))
                        .param("w", DTensor.zeros(3, 2))));
        assertTrue(p.getMessage().contains("param 'w'") && p.getMessage().contains("[2, 3]") && p.getMessage().contains("[3, 2]"),
                p.getMessage());
    }

    @Test
    void i32InputsMustHoldIntegers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(DENSE, batch(1).input("x", DTensor.zeros(1, 2)).input("y", DTensor.vector(0.5))));
        assertTrue(e.getMessage().contains("'y'"), e.getMessage());
    }

    @Test
    void boundParamsAreUsedAndUnboundOnesInitialisedByName() {
        DTensor x = DTensor.of(shape(1, 2), 1, 2);
        DTensor w = DTensor.of(shape(2, 3), 1, 2, 3, 4, 5, 6);
        Map<String, DTensor> out = ReferenceEvaluator.run(DENSE, batch(1).input("x", x).input("y", DTensor.zeros(1)).param("w", w));
        assertTensor(shape(1, 3), d(9, 12, 15), out.get("h"));

        // Unbound: the same name gets the same values whatever the graph, and a different seed other values.
        Graph other = graph("""
                  %10:f32[2,3] = param[name="w", init=glorot(2, 3)]
                  %11:f32[2,3] = param[name="v", init=glorot(2, 3)]
                  output result w = %10
                  output result v = %11
                """);
        Map<Integer, DTensor> all = ReferenceEvaluator.runAll(DENSE, batch(1).input("x", x).input("y", DTensor.zeros(1)).initSeed(4));
        Map<String, DTensor> o = ReferenceEvaluator.run(other, batch(5).initSeed(4));
        assertEquals(all.get(1), o.get("w"));
        assertNotEquals(o.get("w"), o.get("v"));
        assertNotEquals(o.get("w"), ReferenceEvaluator.run(other, batch(5).initSeed(5)).get("w"));
        double limit = Math.sqrt(6.0 / 5);
        for (double v : o.get("w").data()) assertTrue(Math.abs(v) <= limit);
    }

    @Test
    void runAllExposesEveryValueById() {
        Map<Integer, DTensor> all = ReferenceEvaluator.runAll(DENSE, batch(2).input("x", DTensor.zeros(2, 2)).input("y", DTensor.zeros(2)));
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(all.keySet()));
        assertArrayEqualsShape(shape(2, 3), all.get(2));
    }

    private static void assertArrayEqualsShape(int[] s, DTensor t) { org.junit.jupiter.api.Assertions.assertArrayEquals(s, t.shape()); }

    @Test
    void everyInitKindHasItsDistribution() {
        Random rng = new Random(1);
        int n = 40_000;
        assertTensor(shape(2), d(0, 0), ReferenceEvaluator.initialise(new Init.Zeros(), shape(2), rng));
        assertTensor(shape(2), d(1, 1), ReferenceEvaluator.initialise(new Init.Ones(), shape(2), rng));
        checkMoments(ReferenceEvaluator.initialise(new Init.Random(Init.Distribution.UNIFORM, 2, 4), shape(n), rng), 3, 2 / Math.sqrt(12), 2, 4);
        checkMoments(ReferenceEvaluator.initialise(new Init.Random(Init.Distribution.NORMAL, -1, 0.5), shape(n), rng), -1, 0.5, -9, 9);
        double limit = Math.sqrt(6.0 / (10 + 20));
        checkMoments(ReferenceEvaluator.initialise(new Init.Glorot(10, 20), shape(n), rng), 0, limit / Math.sqrt(3), -limit, limit);
        checkMoments(ReferenceEvaluator.initialise(new Init.He(50), shape(n), rng), 0, Math.sqrt(2.0 / 50), -9, 9);
        checkMoments(ReferenceEvaluator.initialise(new Init.HyperFan(4, 8), shape(n), rng), 0, Math.sqrt(2.0 / 32), -9, 9);
    }

    private static void checkMoments(DTensor t, double mean, double std, double lo, double hi) {
        double s = 0, s2 = 0;
        for (double v : t.data()) {
            assertTrue(v >= lo && v <= hi, v + " outside [" + lo + ", " + hi + "]");
            s += v;
            s2 += v * v;
        }
        double m = s / t.numel(), sd = Math.sqrt(s2 / t.numel() - m * m);
        assertEquals(mean, m, 0.03 * std, "mean");
        assertEquals(std, sd, 0.03 * std, "std");
    }

    @Test
    void noiseIsSeededAndCanBeFixedPerNode() {
        Graph g = graph("""
                  %0:f32[B,5000] = noise[dist=uniform, a=2.0, b=3.0]
                  %1:f32[B,5000] = noise[dist=normal, a=5.0, b=0.1]
                  output result u = %0
                  output result n = %1
                """);
        Map<String, DTensor> a = ReferenceEvaluator.run(g, batch(2).noiseSeed(3));
        checkMoments(a.get("u"), 2.5, 1 / Math.sqrt(12), 2, 3);
        checkMoments(a.get("n"), 5, 0.1, 4, 6);
        assertEquals(a, ReferenceEvaluator.run(g, batch(2).noiseSeed(3)));
        assertNotEquals(a.get("u"), ReferenceEvaluator.run(g, batch(2).noiseSeed(4)).get("u"));
        DTensor fixed = DTensor.full(7, 2, 5000);
        Map<String, DTensor> f = ReferenceEvaluator.run(g, batch(2).noiseSeed(3).noise(1, fixed));
        assertSame(fixed, f.get("n"));
        assertEquals(a.get("u"), f.get("u"));
        assertThrows(IllegalArgumentException.class, () -> ReferenceEvaluator.run(g, batch(2).noise(0, DTensor.zeros(2, 3))));
    }

    @Test
    void outputsSharingANameAreKeyedByRole() {
        Graph g = graph("""
                  %0:f32[] = const[value=1.0]
                  %1:f32[] = const[value=2.0]
                  %2:f32[] = const[value=3.0]
                  output loss loss = %0
                  output result loss = %1
                  output result pred = %2
                """);
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1));
        assertEquals(List.of("loss:loss", "result:loss", "pred"), List.copyOf(out.keySet()));
        assertEquals(1.0, out.get("loss:loss").item());
        assertEquals(2.0, out.get("result:loss").item());
    }

    @Test
    void tensorHelpers() {
        DTensor t = DTensor.of(shape(2, 3), 0, 1, 2, 3, 4, 5);
        assertEquals(5, t.get(1, 2));
        assertEquals(4, t.flatIndex(1, 1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(shape(1, 0), t.multiIndex(3));
        assertEquals("[2,3]{0.0, 1.0, 2.0, 3.0, 4.0, 5.0}", t.toString());
        assertTrue(t.allClose(DTensor.of(shape(2, 3), 0, 1, 2, 3, 4, 5 + 1e-10), 1e-9, 0));
        assertTrue(!t.allClose(DTensor.of(shape(3, 2), 0, 1, 2, 3, 4, 5), 1, 1));
        assertEquals(1e-3, t.maxAbsDiff(DTensor.of(shape(2, 3), 0, 1, 2, 3, 4.001, 5)), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> DTensor.of(shape(2, 2), 1, 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        assertEquals(DTensor.matrix(d(0, 1, 2), d(3, 4, 5)), t);
        assertEquals(55.0, t.dot(t));
    }
}
