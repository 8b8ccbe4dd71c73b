package dev.hyperc.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op's gradient rule against central finite differences in f64, on odd shapes, strides,
 * paddings and broadcasts. Each case builds a tiny graph; the harness weights the op's result with
 * a random tensor and sums it, so the incoming cotangent is random rather than all ones.
 */
class GradRulesTest {
    static final double TOL = 1e-6;
    static final long BATCH = 3;

    /** Builds the op under test from parameters made by {@link Case#p}. */
    record Case(String name, Class<? extends Op> op, Function<Case, Value> build) {
        static GraphBuilder b;
        static int params;
        static List<Value> ids = new ArrayList<>();

        Value p(long... shape) {
            return b.add(new Op.Param("p" + params++, TensorType.f32(Shape.of(shape)), new Init.Random(Init.Distribution.NORMAL, 0, 1)));
        }

        /** A parameter kept away from zero (for log, sqrt, division): 0.5 + p². */
        Value positive(long... shape) {
            Value x = p(shape);
            return b.add(new Op.Binary(Op.BinaryFn.ADD), b.add(new Op.Unary(Op.UnaryFn.SQUARE), x), b.add(new Op.Const(0.5, TensorType.f32(Shape.SCALAR))));
        }

        Value in(TensorType t) {
            Value v = b.add(new Op.Input("in" + ids.size(), t));
            ids.add(v);
            return v;
        }

        Value op(Op op, Value... in) { return b.add(op, in); }

        @Override
        public String toString() { return name; }
    }

    static Case c(String name, Class<? extends Op> op, Function<Case, Value> build) { return new Case(name, op, build); }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        for (Op.UnaryFn fn : Op.UnaryFn.values()) {
            if (fn == Op.UnaryFn.STEP) continue;
            boolean pos = fn == Op.UnaryFn.LOG || fn == Op.UnaryFn.SQRT || fn == Op.UnaryFn.RSQRT || fn == Op.UnaryFn.RECIP;
            cs.add(c("unary " + fn.text(), Op.Unary.class, k -> k.op(new Op.Unary(fn), pos ? k.positive(3, 5) : k.p(3, 5))));
        }
        cs.add(c("leaky_relu", Op.LeakyRelu.class, k -> k.op(new Op.LeakyRelu(0.2), k.p(4, 3))));
        for (Op.BinaryFn fn : Op.BinaryFn.values()) {
            if (fn.isComparison()) continue;
            boolean pos = fn == Op.BinaryFn.DIV || fn == Op.BinaryFn.POW;
            cs.add(c("binary " + fn.text() + " broadcast [3,1,4]x[2,4]", Op.Binary.class,
                    k -> k.op(new Op.Binary(fn), pos ? k.positive(3, 1, 4) : k.p(3, 1, 4), pos ? k.positive(2, 4) : k.p(2, 4))));
            cs.add(c("binary " + fn.text() + " with scalar", Op.Binary.class,
                    k -> k.op(new Op.Binary(fn), pos ? k.positive(5) : k.p(5), pos ? k.positive() : k.p())));
        }
        cs.add(c("select", Op.Select.class, k -> {
            Value mask = k.in(TensorType.f32(Shape.of(3, 4)));
            return k.op(new Op.Select(), mask, k.p(3, 4), k.p(4));
        }));
        cs.add(c("cast f32", Op.Cast.class, k -> k.op(new Op.Cast(DType.F32), k.p(2, 3))));
        for (Op.ReduceFn fn : Op.ReduceFn.values()) {
            cs.add(c(fn.text() + " axes [0,2] of [3,5,2]", Op.Reduce.class, k -> k.op(new Op.Reduce(fn, new int[] {0, 2}), k.p(3, 5, 2))));
        }
        cs.add(c("reduce_mean over B", Op.Reduce.class, k -> {
            Value x = k.in(TensorType.f32(Shape.of(Dim.B, Dim.of(4))));
            return k.op(new Op.Reduce(Op.ReduceFn.MEAN, new int[] {0}), k.op(new Op.Binary(Op.BinaryFn.MUL), x, k.p(4)));
        }));
        cs.add(c("logsumexp axis 1 of [3,5,2]", Op.LogSumExp.class, k -> k.op(new Op.LogSumExp(1), k.p(3, 5, 2))));
        cs.add(c("matmul [3,4]x[4,5]", Op.MatMul.class, k -> k.op(new Op.MatMul(), k.p(3, 4), k.p(4, 5))));
        cs.add(c("matmul batch broadcast [2,1,3,4]x[5,4,2]", Op.MatMul.class, k -> k.op(new Op.MatMul(), k.p(2, 1, 3, 4), k.p(5, 4, 2))));
        cs.add(c("matmul per-sample [2,3,4]x[2,4,5]", Op.MatMul.class, k -> k.op(new Op.MatMul(), k.p(2, 3, 4), k.p(2, 4, 5))));
        int[] s21 = {2, 1}, pad = {1, 0, 2, 1};
        cs.add(c("conv2d stride (2,1) pad (1,0,2,1)", Op.Conv2d.class, k -> k.op(new Op.Conv2d(s21, pad), k.p(2, 3, 7, 5), k.p(4, 3, 3, 2))));
        cs.add(c("conv2d grouped", Op.Conv2d.class, k -> k.op(new Op.Conv2d(new int[] {1, 2}, new int[] {0, 1, 1, 0}), k.p(2, 3, 2, 5, 6), k.p(2, 4, 2, 2, 3))));
        cs.add(c("conv2d_grad_input", Op.Conv2dGradInput.class,
                k -> k.op(new Op.Conv2dGradInput(s21, pad, Shape.of(2, 3, 7, 5)), k.p(2, 4, 3, 7), k.p(4, 3, 3, 2))));
        cs.add(c("conv2d_grad_kernel", Op.Conv2dGradKernel.class,
                k -> k.op(new Op.Conv2dGradKernel(s21, pad, Shape.of(4, 3, 3, 2)), k.p(2, 3, 7, 5), k.p(2, 4, 3, 7))));
        cs.add(c("max_pool 3x2 stride 2 pad (1,1,0,1)", Op.Pool2d.class,
                k -> k.op(new Op.Pool2d(Op.PoolKind.MAX, new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 1, 0, 1}), k.p(2, 3, 7, 5))));
        cs.add(c("avg_pool 2x3 stride (1,2)", Op.Pool2d.class,
                k -> k.op(new Op.Pool2d(Op.PoolKind.AVG, new int[] {2, 3}, new int[] {1, 2}, new int[] {0, 1, 1, 1}), k.p(3, 6, 7))));
        cs.add(c("avg_pool2d_grad", Op.Pool2dGrad.class, k -> {
            Value x = k.in(TensorType.f32(Shape.of(2, 5, 5)));
            return k.op(new Op.Pool2dGrad(Op.PoolKind.AVG, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 1, 0, 1}), x, k.p(2, 3, 3));
        }));
        cs.add(c("gather with repeated ids", Op.Gather.class, k -> {
            Value ids = k.in(TensorType.i32(Shape.of(2, 3)));
            return k.op(new Op.Gather(), k.p(4, 5), ids);
        }));
        cs.add(c("scatter_add with repeated ids", Op.ScatterAdd.class, k -> {
            Value ids = k.in(TensorType.i32(Shape.of(2, 3)));
            return k.op(new Op.ScatterAdd(4), ids, k.p(2, 3, 5));
        }));
        cs.add(c("reshape", Op.Reshape.class, k -> k.op(new Op.Reshape(Shape.of(5, 3, 2)), k.p(3, 10))));
        cs.add(c("slice step 2", Op.Slice.class, k -> k.op(new Op.Slice(1, 1, 8, 2), k.p(3, 9))));
        cs.add(c("two slices of one vector (generated weights)", Op.Slice.class, k -> {
            Value flat = k.p(20);
            Value w = k.op(new Op.Reshape(Shape.of(3, 4)), k.op(new Op.Slice(0, 0, 12, 1), flat));
            Value b = k.op(new Op.Slice(0, 16, 20, 1), flat);
            return k.op(new Op.Binary(Op.BinaryFn.ADD), w, b);
        }));
        cs.add(c("transpose", Op.Transpose.class, k -> k.op(new Op.Transpose(new int[] {2, 0, 1}), k.p(3, 4, 5))));
        cs.add(c("broadcast", Op.Broadcast.class, k -> k.op(new Op.Broadcast(Shape.of(2, 3, 4)), k.p(3, 1))));
        cs.add(c("concat axis 1", Op.Concat.class, k -> b().add(new Op.Concat(1), List.of(k.p(2, 3), k.p(2, 1), k.p(2, 4)))));
        cs.add(c("unslice", Op.Unslice.class, k -> k.op(new Op.Unslice(1, 1, 3, 11), k.p(2, 4))));
        cs.add(c("pairwise_dist", Op.PairwiseDist.class, k -> k.op(new Op.PairwiseDist(), k.p(5, 3))));
        cs.add(c("nn_dist", Op.NearestDist.class, k -> k.op(new Op.NearestDist(), k.p(6, 4))));
        cs.add(c("scan: tanh RNN with captured weights", Op.Scan.class, GradRulesTest::rnn));
        return cs.stream().map(Arguments::of);
    }

    static GraphBuilder b() { return Case.b; }

    /** h' = tanh(h·W + x_t), emitting h'; the loss sees the emissions and the final carry. */
    static Value rnn(Case k) {
        GraphBuilder outer = Case.b;
        Value h0 = k.p(2, 3), xs = k.p(4, 2, 3), w = k.p(3, 3);
        GraphBuilder body = new GraphBuilder("body", outer.ids());
        Value h = body.param(h0.type()), x = body.param(TensorType.f32(Shape.of(2, 3))), wc = body.param(w.type());
        Value next = body.add(new Op.Unary(Op.UnaryFn.TANH), body.add(new Op.Binary(Op.BinaryFn.ADD), body.add(new Op.MatMul(), h, wc), x));
        body.output("h", next, Graph.Role.YIELD);
        body.output("emit", body.add(new Op.Unary(Op.UnaryFn.SQUARE), next), Graph.Role.YIELD);
        List<Value> r = outer.addMulti(new Op.Scan(body.build(), 1, 1), List.of(h0, xs, w));
        Value fin = outer.add(new Op.Reshape(Shape.of(1, 2, 3)), r.get(0));
        return outer.add(new Op.Binary(Op.BinaryFn.ADD), r.get(1), fin);
    }

    static Graph build(Case c, Map<String, DTensor> inputs, Random rng) {
        Case.b = new GraphBuilder("train", new GraphBuilder.IdCounter());
        Case.params = 0;
        Case.ids = new ArrayList<>();
        Case.b.at(new Origin(7, 3));
        Value y = c.build().apply(c);
        Value w = Case.b.add(new Op.Input("weights", y.type()));
        int[] all = new int[y.type().rank()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        Value prod = Case.b.add(new Op.Binary(Op.BinaryFn.MUL), y, w);
        Value loss = all.length == 0 ? prod : Case.b.add(new Op.Reduce(Op.ReduceFn.SUM, all), prod);
        Case.b.output("loss", loss, Graph.Role.LOSS);
        Graph g = Case.b.build();
        for (var n : g.nodes()) {
            if (n.op() instanceof Op.Input in) {
                int[] shape = ReferenceEvaluator.concreteShape(in.type().shape(), BATCH);
                DTensor t = in.type().dtype() == DType.I32 ? DTensor.ints(rng, 4, shape)
                        : in.name().startsWith("in") ? mask(rng, shape) : DTensor.normal(rng, shape);
                if (in.type().dtype() == DType.I32 && in.name().startsWith("in")) {
                    // Repeated ids on purpose: their gradients must add up.
                    t.data()[1] = t.data()[0];
                }
                inputs.put(in.name(), t);
            }
        }
        return g;
    }

    static DTensor mask(Random rng, int[] shape) {
        DTensor t = DTensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = rng.nextBoolean() ? 1 : rng.nextGaussian();
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ruleMatchesFiniteDifferences(Case c) {
        Random rng = new Random(c.name().hashCode());
        Map<String, DTensor> inputs = new LinkedHashMap<>();
        Graph g = build(c, inputs, rng);
        ReferenceEvaluator.Bindings b = new ReferenceEvaluator.Bindings(BATCH);
        inputs.forEach(b::input);
        List<GradCheck.ParamResult> res = GradCheck.check(g, "loss", b, 40, 1e-5, 42);
        for (GradCheck.ParamResult r : res) {
            assertTrue(r.checked() > 0, c + ": no coordinate of " + r.param() + " could be checked");
            assertTrue(r.maxRelError() < TOL, c + ": " + r.param() + " gradient differs from finite differences by " + r.maxRelError());
        }
    }

    /** A new op cannot land without a rule and a finite-difference case (or an explicit no-derivative test). */
    @Test
    void everyOpHasAGradientCase() {
        Set<Class<?>> covered = new HashSet<>();
        cases().forEach(a -> covered.add(((Case) a.get()[0]).op()));
        // Leaves have no operands; these ops are checked by the no-derivative and stop-gradient tests below.
        covered.addAll(List.of(Op.Input.class, Op.Param.class, Op.State.class, Op.Noise.class, Op.Const.class,
                Op.ArgMax.class, Op.OneHot.class, Op.NearestDistGrad.class, Op.StopGradient.class));
        List<String> missing = new ArrayList<>();
        collect(Op.class, covered, missing);
        assertTrue(missing.isEmpty(), "ops without a gradient check: " + missing);
    }

    private static void collect(Class<?> c, Set<Class<?>> covered, List<String> missing) {
        if (c.isRecord()) {
            if (!covered.contains(c)) missing.add(c.getSimpleName());
            return;
        }
        for (Class<?> sub : c.getPermittedSubclasses()) collect(sub, covered, missing);
    }

    @Test
    void stopGradientBlocksTheGradient() {
        Case.b = new GraphBuilder("train", new GraphBuilder.IdCounter());
        Value p = Case.b.add(new Op.Param("p", TensorType.f32(Shape.of(3)), new Init.Ones()));
        Value s = Case.b.add(new Op.StopGradient(), p);
        Value y = Case.b.add(new Op.Binary(Op.BinaryFn.MUL), s, p); // d/dp (stop(p)·p) = stop(p) = p
        Value l = Case.b.add(new Op.Reduce(Op.ReduceFn.SUM, new int[] {0}), y);
        Case.b.output("loss", l, Graph.Role.LOSS);
        Graph g = Autodiff.gradients(Case.b.build(), "loss");
        ReferenceEvaluator.Bindings b = new ReferenceEvaluator.Bindings(1).param("p", DTensor.vector(1, 2, 3));
        DTensor grad = ReferenceEvaluator.run(g, b).get("p");
        assertEquals(DTensor.vector(1, 2, 3), grad);
    }

    static Stream<Arguments> nondifferentiable() {
        return Stream.of(
                Arguments.of("argmax", (Function<Value, Value>) x -> Case.b.add(new Op.Cast(DType.F32), Case.b.add(new Op.ArgMax(0), x))),
                Arguments.of("gt", (Function<Value, Value>) x -> Case.b.add(new Op.Binary(Op.BinaryFn.GT), x, x)),
                Arguments.of("step", (Function<Value, Value>) x -> Case.b.add(new Op.Unary(Op.UnaryFn.STEP), x)),
                Arguments.of("cast", (Function<Value, Value>) x -> Case.b.add(new Op.Cast(DType.F32), Case.b.add(new Op.Cast(DType.I32), x))),
                // A parameter can reach one_hot only through a cast to i32, which is the first op without a derivative.
                Arguments.of("cast", (Function<Value, Value>) x -> Case.b.add(new Op.OneHot(3), Case.b.add(new Op.Cast(DType.I32), x))),
                Arguments.of("max_pool2d_grad", (Function<Value, Value>) x -> {
                    Value x4 = Case.b.add(new Op.Reshape(Shape.of(1, 1, 2, 2)), x);
                    return Case.b.add(new Op.Pool2dGrad(Op.PoolKind.MAX, new int[] {2, 2}, new int[] {2, 2}, new int[4]), x4,
                            Case.b.add(new Op.Reshape(Shape.of(1, 1, 1, 1)), Case.b.add(new Op.Slice(0, 0, 1, 1), x)));
                }),
                Arguments.of("nn_dist_grad", (Function<Value, Value>) x -> {
                    Value x2 = Case.b.add(new Op.Reshape(Shape.of(2, 2)), x);
                    return Case.b.add(new Op.NearestDistGrad(), x2, Case.b.add(new Op.Slice(0, 0, 2, 1), x));
                }));
    }

    /** Differentiating through an op with no derivative names the op and the source line. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nondifferentiable")
    void nonDifferentiableOpIsAClearError(String mnemonic, Function<Value, Value> through) {
        Case.b = new GraphBuilder("train", new GraphBuilder.IdCounter());
        Value p = Case.b.add(new Op.Param("p", TensorType.f32(Shape.of(4)), new Init.Ones()));
        Case.b.at(new Origin(12, 5));
        Value y = through.apply(p);
        Case.b.at(Origin.NONE);
        int[] all = new int[y.type().rank()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        Value l = Case.b.add(new Op.Reduce(Op.ReduceFn.SUM, all), y);
        Case.b.output("loss", l, Graph.Role.LOSS);
        GradientError e = assertThrows(GradientError.class, () -> Autodiff.gradients(Case.b.build(), "loss"));
        assertTrue(e.getMessage().contains(mnemonic), e.getMessage());
        assertTrue(e.getMessage().contains("line 12"), e.getMessage());
        assertEquals(12, e.origin().line());
    }

    @Test
    void lossMustBeAScalar() {
        Case.b = new GraphBuilder("train", new GraphBuilder.IdCounter());
        Value p = Case.b.add(new Op.Param("p", TensorType.f32(Shape.of(4)), new Init.Ones()));
        Case.b.output("loss", Case.b.add(new Op.Unary(Op.UnaryFn.TANH), p), Graph.Role.LOSS);
        GradientError e = assertThrows(GradientError.class, () -> Autodiff.gradients(Case.b.build(), "loss"));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void onlyParametersCanBeDifferentiated() {
        Case.b = new GraphBuilder("train", new GraphBuilder.IdCounter());
        Value p = Case.b.add(new Op.Param("p", TensorType.f32(Shape.of(4)), new Init.Ones()));
        Value x = Case.b.add(new Op.Input("x", TensorType.f32(Shape.of(4))));
        Value l = Case.b.add(new Op.Reduce(Op.ReduceFn.SUM, new int[] {0}), Case.b.add(new Op.Binary(Op.BinaryFn.MUL), p, x));
        Case.b.output("loss", l, Graph.Role.LOSS);
        GradientError e = assertThrows(GradientError.class, () -> Autodiff.gradients(Case.b.build(), "loss", List.of("x")));
        assertTrue(e.getMessage().contains("input"), e.getMessage());
    }
}
