package dev.hyperc.compiler.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrParser;

/** Helpers shared by the evaluator tests. */
final class EvalTesting {
    private EvalTesting() {}

    /** A graph named {@code t} from the lines of its body. */
    static Graph graph(String body) { return IrParser.parseGraph("graph t {\n" + body + "}\n"); }

    static ReferenceEvaluator.Bindings batch(long b) { return new ReferenceEvaluator.Bindings(b); }

    static int[] shape(int... s) { return s; }

    /** The tensor has exactly this shape and these elements (to 1e-12 absolute). */
    static void assertTensor(int[] shape, double[] data, DTensor actual) {
        assertArrayEquals(shape, actual.shape(), () -> "shape of " + actual);
        assertArrayEquals(data, actual.data(), 1e-12, () -> "elements of " + actual);
    }

    static double[] d(double... v) { return v; }

    /** |a − b| ≤ rel · max(|a|, |b|). */
    static boolean closeRel(double a, double b, double rel) { return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)); }
}
