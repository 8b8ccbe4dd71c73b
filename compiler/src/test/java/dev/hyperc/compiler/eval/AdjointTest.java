package dev.hyperc.compiler.eval;

import static dev.hyperc.compiler.eval.EvalTesting.batch;
import static dev.hyperc.compiler.eval.EvalTesting.closeRel;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The gradient ops are the transposes of their forward ops: for a linear op L and its claimed adjoint L*,
 * ⟨L(x), g⟩ = ⟨x, L*(g)⟩ for random x and g. Nonlinear ops (max pooling, nearest distances) are checked
 * against central differences of the forward op instead.
 */
class AdjointTest {
    private static final double REL = 1e-12;

    private static Shape shape(Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) d.add(o instanceof Dim x ? x : Dim.of(((Number) o).longValue()));
        return new Shape(d);
    }

    private static Value input(GraphBuilder g, String name, Shape s) { return g.add(new Op.Input(name, TensorType.f32(s))); }

    private static Value ids(GraphBuilder g, String name, Shape s) { return g.add(new Op.Input(name, TensorType.i32(s))); }

    private static DTensor random(Random rng, int... shape) { return DTensor.normal(rng, shape); }

    private static void assertAdjoint(double forward, double backward, String what) {
        assertTrue(closeRel(forward, backward, REL), what + ": ⟨L x, g⟩ = " + forward + " but ⟨x, L* g⟩ = " + backward);
    }

    // ---------------------------------------------------------------- convolution

    private static void checkConv(boolean grouped, long batchSize, int[] stride, int[] pad, long seed) {
        GraphBuilder g = new GraphBuilder("adjoint", new GraphBuilder.IdCounter());
        Shape xs = grouped ? shape(2, Dim.B, 3, 7, 5) : shape(Dim.B, 3, 7, 5);
        Shape ks = grouped ? shape(2, 4, 3, 3, 2) : shape(4, 3, 3, 2);
        Value x = input(g, "x", xs), k = input(g, "k", ks);
        Value y = g.add(new Op.Conv2d(stride, pad), x, k);
        Value dy = input(g, "g", y.type().shape());
        g.output("y", y, Graph.Role.RESULT);
        g.output("dx", g.add(new Op.Conv2dGradInput(stride, pad, xs), dy, k), Graph.Role.RESULT);
        g.output("dk", g.add(new Op.Conv2dGradKernel(stride, pad, ks), x, dy), Graph.Role.RESULT);
        Graph graph = g.build();

        Random rng = new Random(seed);
        int b = (int) batchSize;
        int[] xShape = grouped ? new int[] {2, b, 3, 7, 5} : new int[] {b, 3, 7, 5};
        int[] kShape = grouped ? new int[] {2, 4, 3, 3, 2} : new int[] {4, 3, 3, 2};
        int[] yShape = ReferenceEvaluator.concreteShape(y.type().shape(), batchSize);
        DTensor xv = random(rng, xShape), kv = random(rng, kShape), gv = random(rng, yShape);
        Map<String, DTensor> out = ReferenceEvaluator.run(graph, batch(batchSize).input("x", xv).input("k", kv).input("g", gv));
        double fwd = out.get("y").dot(gv);
        assertAdjoint(fwd, xv.dot(out.get("dx")), "conv2d_grad_input" + (grouped ? " (grouped)" : ""));
        assertAdjoint(fwd, kv.dot(out.get("dk")), "conv2d_grad_kernel" + (grouped ? " (grouped)" : ""));
    }

    @Test
    void convGradientsAreTheAdjointsOfConv() {
        // x[2,3,7,5], k[4,3,3,2], stride (2,1), padding (top 1, bottom 0, left 2, right 1): output [2,4,3,7],
        // and the last input row is never read (7 + 1 − 3 = 5 is odd).
        checkConv(false, 2, new int[] {2, 1}, new int[] {1, 0, 2, 1}, 1);
        checkConv(true, 2, new int[] {2, 1}, new int[] {1, 0, 2, 1}, 2);
        checkConv(false, 3, new int[] {1, 3}, new int[] {0, 2, 0, 0}, 3);
        checkConv(true, 1, new int[] {3, 2}, new int[] {2, 2, 1, 0}, 4);
    }

    // ---------------------------------------------------------------- pooling

    @Test
    void avgPoolGradIsTheAdjointOfAvgPool() {
        for (int[] pad : new int[][] {{0, 0, 0, 0}, {1, 0, 1, 1}, {2, 1, 0, 1}}) {
            GraphBuilder g = new GraphBuilder("adjoint", new GraphBuilder.IdCounter());
            int[] window = {3, 2}, stride = {2, 1};
            Value x = input(g, "x", shape(2, 3, 7, 5));
            Value y = g.add(new Op.Pool2d(Op.PoolKind.AVG, window, stride, pad), x);
            Value dy = input(g, "g", y.type().shape());
            g.output("y", y, Graph.Role.RESULT);
            g.output("dx", g.add(new Op.Pool2dGrad(Op.PoolKind.AVG, window, stride, pad), x, dy), Graph.Role.RESULT);
            Random rng = new Random(pad[0] * 10 + pad[1]);
            DTensor xv = random(rng, 2, 3, 7, 5), gv = random(rng, ReferenceEvaluator.concreteShape(y.type().shape(), 1));
            Map<String, DTensor> out = ReferenceEvaluator.run(g.build(), batch(1).input("x", xv).input("g", gv));
            assertAdjoint(out.get("y").dot(gv), xv.dot(out.get("dx")), "avg_pool2d_grad");
        }
    }

    @Test
    void maxPoolGradMatchesFiniteDifferences() {
        GraphBuilder g = new GraphBuilder("fd", new GraphBuilder.IdCounter());
        int[] window = {3, 2}, stride = {2, 1}, pad = {1, 0, 1, 1};
        Value x = input(g, "x", shape(2, 3, 7, 5));
        Value y = g.add(new Op.Pool2d(Op.PoolKind.MAX, window, stride, pad), x);
        Value dy = input(g, "g", y.type().shape());
        g.output("y", y, Graph.Role.RESULT);
        g.output("dx", g.add(new Op.Pool2dGrad(Op.PoolKind.MAX, window, stride, pad), x, dy), Graph.Role.RESULT);
        Graph graph = g.build();
        Random rng = new Random(9);
        DTensor xv = random(rng, 2, 3, 7, 5), gv = random(rng, ReferenceEvaluator.concreteShape(y.type().shape(), 1));
        DTensor v = random(rng, 2, 3, 7, 5);
        DTensor dx = ReferenceEvaluator.run(graph, batch(1).input("x", xv).input("g", gv)).get("dx");
        double eps = 1e-6;
        double fp = ReferenceEvaluator.run(graph, batch(1).input("x", axpy(eps, v, xv)).input("g", gv)).get("y").dot(gv);
        double fm = ReferenceEvaluator.run(graph, batch(1).input("x", axpy(-eps, v, xv)).input("g", gv)).get("y").dot(gv);
        double fd = (fp - fm) / (2 * eps), analytic = v.dot(dx);
        assertTrue(closeRel(fd, analytic, 1e-7), "max_pool2d_grad: finite difference " + fd + " vs " + analytic);
    }

    /** a·v + x. */
    private static DTensor axpy(double a, DTensor v, DTensor x) {
        double[] d = new double[x.numel()];
        for (int i = 0; i < d.length; i++) d[i] = a * v.data()[i] + x.data()[i];
        return new DTensor(x.shape().clone(), d);
    }

    // ---------------------------------------------------------------- nearest-neighbour distances

    @Test
    void nearestDistGradMatchesFiniteDifferences() {
        GraphBuilder g = new GraphBuilder("fd", new GraphBuilder.IdCounter());
        Value x = input(g, "x", shape(Dim.B, 3));
        Value y = g.add(new Op.NearestDist(), x);
        Value dy = input(g, "g", y.type().shape());
        g.output("y", y, Graph.Role.RESULT);
        g.output("dx", g.add(new Op.NearestDistGrad(), x, dy), Graph.Role.RESULT);
        Graph graph = g.build();
        Random rng = new Random(11);
        DTensor xv = random(rng, 6, 3), gv = random(rng, 6), v = random(rng, 6, 3);
        DTensor dx = ReferenceEvaluator.run(graph, batch(6).input("x", xv).input("g", gv)).get("dx");
        double eps = 1e-6;
        double fp = ReferenceEvaluator.run(graph, batch(6).input("x", axpy(eps, v, xv)).input("g", gv)).get("y").dot(gv);
        double fm = ReferenceEvaluator.run(graph, batch(6).input("x", axpy(-eps, v, xv)).input("g", gv)).get("y").dot(gv);
        double fd = (fp - fm) / (2 * eps), analytic = v.dot(dx);
        assertTrue(closeRel(fd, analytic, 1e-7), "nn_dist_grad: finite difference " + fd + " vs " + analytic);
    }

    // ---------------------------------------------------------------- views and indexing

    /** Builds a graph with inputs x and g, output y = forward(x) and dx = backward(g), and checks ⟨y, g⟩ = ⟨x, dx⟩. */
    private interface Pair {
        Value forward(GraphBuilder g, Value x);

        Value backward(GraphBuilder g, Value dy);
    }

    private static void checkLinear(String what, Shape xShape, Pair pair, long seed) {
        GraphBuilder g = new GraphBuilder("adjoint", new GraphBuilder.IdCounter());
        Value x = input(g, "x", xShape);
        Value y = pair.forward(g, x);
        Value dy = input(g, "g", y.type().shape());
        Value dx = pair.backward(g, dy);
        g.output("y", y, Graph.Role.RESULT);
        g.output("dx", dx, Graph.Role.RESULT);
        Random rng = new Random(seed);
        DTensor xv = random(rng, ReferenceEvaluator.concreteShape(xShape, 2));
        DTensor gv = random(rng, ReferenceEvaluator.concreteShape(y.type().shape(), 2));
        Map<String, DTensor> out = ReferenceEvaluator.run(g.build(), batch(2).input("x", xv).input("g", gv));
        assertAdjoint(out.get("y").dot(gv), xv.dot(out.get("dx")), what);
    }

    @Test
    void sliceAndUnsliceAreAdjoint() {
        checkLinear("slice/unslice", shape(3, 8, 2), new Pair() {
            public Value forward(GraphBuilder g, Value x) { return g.add(new Op.Slice(1, 1, 8, 3), x); }

            public Value backward(GraphBuilder g, Value dy) { return g.add(new Op.Unslice(1, 1, 3, 8), dy); }
        }, 21);
    }

    @Test
    void reshapeIsAdjointToTheInverseReshape() {
        checkLinear("reshape", shape(Dim.B, 3, 4), new Pair() {
            public Value forward(GraphBuilder g, Value x) { return g.add(new Op.Reshape(shape(4, new Dim(3, true))), x); }

            public Value backward(GraphBuilder g, Value dy) { return g.add(new Op.Reshape(shape(Dim.B, 3, 4)), dy); }
        }, 22);
    }

    @Test
    void transposeIsAdjointToTheInversePermutation() {
        checkLinear("transpose", shape(2, 3, 4), new Pair() {
            public Value forward(GraphBuilder g, Value x) { return g.add(new Op.Transpose(new int[] {2, 0, 1}), x); }

            public Value backward(GraphBuilder g, Value dy) { return g.add(new Op.Transpose(new int[] {1, 2, 0}), dy); }
        }, 23);
    }

    @Test
    void broadcastIsAdjointToSumming() {
        checkLinear("broadcast/reduce_sum", shape(3, 1), new Pair() {
            public Value forward(GraphBuilder g, Value x) { return g.add(new Op.Broadcast(shape(2, 3, 4)), x); }

            public Value backward(GraphBuilder g, Value dy) {
                Value s = g.add(new Op.Reduce(Op.ReduceFn.SUM, new int[] {0, 2}), dy);
                return g.add(new Op.Reshape(shape(3, 1)), s);
            }
        }, 24);
    }

    @Test
    void concatIsAdjointToSlicing() {
        checkLinear("concat/slice", shape(2, 5), new Pair() {
            public Value forward(GraphBuilder g, Value x) {
                Value head = g.add(new Op.Slice(1, 0, 2, 1), x), tail = g.add(new Op.Slice(1, 2, 5, 1), x);
                return g.add(new Op.Concat(1), tail, head, tail);
            }

            public Value backward(GraphBuilder g, Value dy) {
                Value t1 = g.add(new Op.Slice(1, 0, 3, 1), dy), h = g.add(new Op.Slice(1, 3, 5, 1), dy), t2 = g.add(new Op.Slice(1, 5, 8, 1), dy);
                Value tail = g.add(new Op.Binary(Op.BinaryFn.ADD), t1, t2);
                return g.add(new Op.Concat(1), h, tail);
            }
        }, 25);
    }

    @Test
    void scatterAddIsTheAdjointOfGather() {
        GraphBuilder g = new GraphBuilder("adjoint", new GraphBuilder.IdCounter());
        Value table = input(g, "t", shape(5, 3));
        Value id = ids(g, "ids", shape(2, 4));
        Value y = g.add(new Op.Gather(), table, id);
        Value dy = input(g, "g", y.type().shape());
        g.output("y", y, Graph.Role.RESULT);
        g.output("dt", g.add(new Op.ScatterAdd(5), id, dy), Graph.Role.RESULT);
        Random rng = new Random(26);
        DTensor tv = random(rng, 5, 3), gv = random(rng, 2, 4, 3);
        DTensor idv = DTensor.of(new int[] {2, 4}, 4, 1, 1, 0, 4, 4, 2, 1); // repeats; 3 never used
        Map<String, DTensor> out = ReferenceEvaluator.run(g.build(), batch(1).input("t", tv).input("ids", idv).input("g", gv));
        assertAdjoint(out.get("y").dot(gv), tv.dot(out.get("dt")), "gather/scatter_add");
    }

    @Test
    void matMulTransposesAreAdjoint() {
        GraphBuilder g = new GraphBuilder("adjoint", new GraphBuilder.IdCounter());
        Value a = input(g, "a", shape(3, 4, 5)), b = input(g, "b", shape(5, 2));
        Value y = g.add(new Op.MatMul(), a, b);
        Value dy = input(g, "g", y.type().shape());
        Value bt = g.add(new Op.Transpose(new int[] {1, 0}), b);
        g.output("y", y, Graph.Role.RESULT);
        g.output("da", g.add(new Op.MatMul(), dy, bt), Graph.Role.RESULT);
        Random rng = new Random(27);
        DTensor av = random(rng, 3, 4, 5), bv = random(rng, 5, 2), gv = random(rng, 3, 4, 2);
        Map<String, DTensor> out = ReferenceEvaluator.run(g.build(), batch(1).input("a", av).input("b", bv).input("g", gv));
        assertAdjoint(out.get("y").dot(gv), av.dot(out.get("da")), "matmul");
    }
}
